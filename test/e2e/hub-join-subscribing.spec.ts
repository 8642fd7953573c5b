import { Controller, Query } from '@nestjs/common';
import { filter, type Observable } from 'rxjs';
import { type TestEventStream, openEventStream } from 'nestjs-event-stream/testing';
import { EventStream, SseClient, SseHub } from '../../lib/index.js';
import type { SseBrokerMessage } from '../../lib/broker.js';
import { DelegatingBroker } from '../src/hub/hub-fixture.js';
import { startApp, type TestApp } from '../utils/test-app.js';
import { deferred, type Deferred } from '../utils/wait.js';

/**
 * A broker that, like Redis, delivers a channel's events to this instance
 * only once its subscription to the channel is in place; `gate` holds
 * subscriptions back.
 */
class SubscriptionBroker extends DelegatingBroker {
  gate: Deferred | undefined;
  readonly subscribeCalled = deferred();
  private readonly subscribed = new Set<string>();

  override get messages$(): Observable<SseBrokerMessage> {
    return this.inner.messages$.pipe(filter((m) => m.type !== 'channel' || this.subscribed.has(m.channel)));
  }

  override async subscribe(channel: string): Promise<void> {
    this.subscribeCalled.resolve();
    await this.gate?.promise;
    await this.inner.subscribe(channel);
    this.subscribed.add(channel);
  }
}

/** Signals when the handler of a stream tagged `tag` has run (its join is under way). */
const handled = new Map<string, Deferred>();

@Controller()
class FeedController {
  constructor(private readonly hub: SseHub) {}

  @EventStream('feed')
  feed(@Query('tag') tag: string, @SseClient() client: SseClient) {
    const joined = this.hub.join(client, 'y');
    handled.get(tag)?.resolve();
    return joined;
  }
}

const anchorOf = (stream: TestEventStream) => /^retry: \d+\n\nid: (\S+)\n\n/.exec(stream.text)?.[1];
const seqOf = (id: string) => Number(id.split('.')[1]);

describe('a stream that joins a channel another stream is still subscribing to', () => {
  let app: TestApp;
  let hub: SseHub;
  let broker: SubscriptionBroker;

  beforeAll(async () => {
    broker = new SubscriptionBroker();
    app = await startApp({ controllers: [FeedController] }, { broker, heartbeatMs: 0 });
    hub = app.app.get(SseHub);
  });

  afterAll(() => app.close());

  it('waits for that subscription: it receives every event after its anchor, none lost', async () => {
    broker.gate = deferred();
    handled.set('second', deferred());
    const firstOpening = openEventStream(app.app, `/feed?tag=first`);
    await broker.subscribeCalled.promise;
    const secondOpening = openEventStream(app.app, `/feed?tag=second`);
    await handled.get('second')!.promise;
    // The second join is under way; whatever it does synchronously has been done.
    await new Promise((resolve) => setImmediate(resolve));
    // Published while the channel's subscription is not in place: this instance does not receive it live.
    const e1 = await hub.publish('y', 'e1');
    broker.gate.resolve();
    const [first, second] = await Promise.all([firstOpening, secondOpening]);
    try {
      await Promise.all([first, second].map((stream) => stream.waitForText(() => anchorOf(stream) !== undefined)));
      const e2 = await hub.publish('y', 'e2');
      await second.waitForText((text) => text.includes(`id: ${e2}\n`));
      const anchor = anchorOf(second)!;
      // Every event after the anchor arrives: e1 is either before the anchor (published before the stream could resume from it) or delivered.
      const expected = [e1, e2].filter((id) => seqOf(id) > seqOf(anchor));
      expect(second.events.map((event) => event.id)).toEqual(expected);
      expect(seqOf(anchor)).toBeGreaterThanOrEqual(seqOf(e1));
    } finally {
      first.close();
      second.close();
    }
  });
});
