import { ServiceUnavailableException } from '@nestjs/common';
import { type TestEventStream, openEventStream, waitForHub } from 'nestjs-event-stream/testing';
import { SseHub, parseEventId, sseEvent, type SseModuleOptions } from '../../lib/index.js';
import type { SseBrokerPosition } from '../../lib/broker.js';
import {
  DelegatingBroker,
  HubController,
  StagedJoinsController,
  laterJoins,
  streamUrl,
  tagged,
} from '../src/hub/hub-fixture.js';
import { TestEventSource } from '../utils/event-source-client.js';
import { startApp, type TestApp } from '../utils/test-app.js';
import { deferred, type Deferred } from '../utils/wait.js';

/** The first bytes of a fresh hub stream: the `retry:` hint (its value is jittered), then the id-only block. */
const FIRST_BYTES = /^retry: \d+\n\nid: ([a-z0-9]+\.\d+)\n\n/;

/** The blocks of a stream's text that carry an id and nothing else. */
const idOnlyBlocks = (text: string) => text.split('\n\n').filter((block) => /^id: [^\n]*$/.test(block));

/** The id the stream started at (waits for the block). */
async function anchorOf(stream: TestEventStream): Promise<string> {
  const text = await stream.waitForText((received) => FIRST_BYTES.test(received));
  return FIRST_BYTES.exec(text)![1];
}

/** The id just before `id`: the anchor of a stream whose first event is `id`. */
function before(id: string): string {
  const { epoch, seq } = parseEventId(id)!;
  return `${epoch}.${seq - 1}`;
}

/**
 * A broker whose `head()` can be held (`gate`: it waits for it, then reads the
 * head) or fail (`failure`); `asked` resolves when the hub asks.
 */
class HeadBroker extends DelegatingBroker {
  gate: Deferred | undefined;
  asked = deferred();
  failure: Error | undefined;
  heads = 0;

  override async head(): Promise<SseBrokerPosition> {
    this.heads++;
    this.asked.resolve();
    if (this.failure) throw this.failure;
    await this.gate?.promise;
    return super.head();
  }
}

/** An app of its own for a describe block, on a `HeadBroker`: started before its tests, closed after them. */
function appOnHeadBroker(options: SseModuleOptions = {}): { server: TestApp; hub: SseHub; broker: HeadBroker } {
  const app = { broker: new HeadBroker() } as { server: TestApp; hub: SseHub; broker: HeadBroker };
  beforeAll(async () => {
    const controllers = [HubController, StagedJoinsController];
    app.server = await startApp({ controllers }, { broker: app.broker, ...options });
    app.hub = app.server.app.get(SseHub);
  });
  afterAll(() => app.server.close());
  return app;
}

describe('SseHub: a stream opened without Last-Event-ID starts at the current position', () => {
  // A short retry hint: the eventsource client reconnects after it.
  const app = appOnHeadBroker({ retryMs: 100 });
  const streams: TestEventStream[] = [];

  async function open(channels: string[], headers: Record<string, string> = {}): Promise<TestEventStream> {
    const stream = await openEventStream(app.server.app, streamUrl('', channels), { headers });
    streams.push(stream);
    return stream;
  }

  /** Delivery to one stream is ordered: once a broadcast sent after the publishes arrived, a duplicate would have too. */
  async function settle(stream: TestEventStream): Promise<void> {
    const marker = `marker-${Math.random()}`;
    await app.hub.broadcast(sseEvent({ event: 'marker', data: marker }));
    await stream.waitForText((text) => text.includes(`data: ${marker}\n`));
  }

  const channelEvents = (stream: TestEventStream) => stream.events.filter((e) => e.type !== 'marker');

  afterEach(() => {
    streams.splice(0).forEach((stream) => stream.close());
    app.broker.gate = undefined;
    app.broker.failure = undefined;
  });

  it('writes the id of the newest event of the namespace, in an id-only block right after the retry line, and dispatches nothing', async () => {
    await app.hub.publish('fc:a', 'older');
    const newest = await app.hub.publish('fc:elsewhere', 'newest, of another channel');
    const stream = await open(['fc:a']);
    expect(await anchorOf(stream)).toBe(newest);
    expect(stream.text).toMatch(new RegExp(`^retry: \\d+\\n\\nid: ${newest.replace('.', '\\.')}\\n\\n$`));
    const live = await app.hub.publish('fc:a', 'live');
    const [event] = await stream.waitForEvents(1);
    expect(event).toMatchObject({ id: live, data: 'live' });
    expect(stream.events).toHaveLength(1);
  });

  it('gets exactly what was published while it was away when it reconnects with that id, in order', async () => {
    const first = await open(['fc:r1', 'fc:r2']);
    const anchor = await anchorOf(first);
    first.close();
    const missed = [
      await app.hub.publish('fc:r1', 'm1'),
      await app.hub.publish('fc:r2', 'm2'),
      await app.hub.publish('fc:elsewhere', 'not joined'),
      await app.hub.publish('fc:r1', 'm3'),
    ].filter((_, i) => i !== 2);
    const again = await open(['fc:r1', 'fc:r2'], { 'last-event-id': anchor });
    const live = await app.hub.publish('fc:r2', 'live');
    await settle(again);
    expect(channelEvents(again).map((e) => [e.id, e.data])).toEqual([
      [missed[0], 'm1'],
      [missed[1], 'm2'],
      [missed[2], 'm3'],
      [live, 'live'],
    ]);
    // A resumed stream starts with what it missed, no block.
    expect(again.text).toMatch(new RegExp(`^retry: \\d+\\n\\nid: ${missed[0].replace('.', '\\.')}\\n`));
    expect(idOnlyBlocks(again.text)).toEqual([]);
  });

  it('writes no block for a stream with a Last-Event-ID, and one for a Last-Event-ID that is not a hub id (taken as absent)', async () => {
    const seen = await app.hub.publish('fc:leid', 'seen');
    const resumed = await open(['fc:leid'], { 'last-event-id': seen });
    const live = await app.hub.publish('fc:leid', 'live');
    await settle(resumed);
    expect(channelEvents(resumed).map((e) => e.id)).toEqual([live]);
    expect(resumed.text).toMatch(new RegExp(`^retry: \\d+\\n\\nid: ${live.replace('.', '\\.')}\\ndata: live\\n\\n`));
    expect(idOnlyBlocks(resumed.text)).toEqual([]);

    const garbage = await open(['fc:leid'], { 'last-event-id': 'not a hub id' });
    expect(await anchorOf(garbage)).toBe(live);
  });

  it('writes the block once per stream: joins made together share it, a later join writes none', async () => {
    const together = await openEventStream(app.server.app, `/hub/together?channels=fc:t1,fc:t2`);
    streams.push(together);
    const anchor = await anchorOf(together);
    const events = [await app.hub.publish('fc:t1', 'one'), await app.hub.publish('fc:t2', 'two')];
    await together.waitForEvents(2);
    expect(together.events.map((e) => e.id)).toEqual(events);
    expect(idOnlyBlocks(together.text)).toEqual([`id: ${anchor}`]);

    const later = await openEventStream(app.server.app, `/hub/later?first=fc:l1&later=fc:l2`, {
      headers: tagged('later-join'),
    });
    streams.push(later);
    const laterAnchor = await anchorOf(later);
    const onFirst = await app.hub.publish('fc:l1', 'first');
    await later.waitForEvents(1);
    laterJoins.next('later-join');
    await waitForHub(app.hub, (h) => h.count('fc:l2') === 1);
    const onLater = await app.hub.publish('fc:l2', 'later');
    await settle(later);
    expect(channelEvents(later).map((e) => e.id)).toEqual([onFirst, onLater]);
    expect(idOnlyBlocks(later.text)).toEqual([`id: ${laterAnchor}`]);
  });

  it('neither loses nor repeats events published after the stream subscribed and before the head was read', async () => {
    app.broker.gate = deferred();
    app.broker.asked = deferred();
    const opening = openEventStream(app.server.app, streamUrl('', ['fc:held', 'fc:held2']), {
      headers: { 'x-user-id': 'held' },
    });
    // The hub asks for the head once the stream has joined: what is published now is held for it.
    await app.broker.asked.promise;
    const during = [await app.hub.publish('fc:held', 'd1'), await app.hub.publish('fc:held2', 'd2')];
    await app.hub.publish('fc:elsewhere', 'not joined');
    await app.hub.sendToUser('held', 'to its user');
    app.broker.gate.resolve();
    const stream = await opening;
    streams.push(stream);
    const live = await app.hub.publish('fc:held', 'live');
    await settle(stream);
    // The anchor is just before the first held event (not the head, which is newer): they follow it, once.
    expect(stream.text).toMatch(FIRST_BYTES);
    expect(await anchorOf(stream)).toBe(before(during[0]));
    expect(channelEvents(stream).map((e) => e.id ?? e.data)).toEqual([...during, 'to its user', live]);

    // And the anchor resumes them all.
    stream.close();
    const again = await open(['fc:held', 'fc:held2'], { 'last-event-id': before(during[0]) });
    await settle(again);
    expect(channelEvents(again).map((e) => e.id)).toEqual([...during, live]);
  });

  it('answers 503 before any stream byte when the head cannot be read, and opens the next stream', async () => {
    app.broker.failure = new ServiceUnavailableException('The broker is away.');
    const refused = await openEventStream(app.server.app, streamUrl('', ['fc:down']));
    await refused.ended;
    expect(refused.status).toBe(503);
    expect(refused.headers['content-type']).not.toContain('text/event-stream');
    expect(refused.text).not.toContain('retry:');
    expect(app.hub.count('fc:down')).toBe(0);

    app.broker.failure = undefined;
    const stream = await open(['fc:down']);
    expect(stream.status).toBe(200);
    await anchorOf(stream);
  });

  it('counts the block neither as a replay nor as a delivered frame, and reads the head once per stream', async () => {
    const stats = app.hub.stats();
    const heads = app.broker.heads;
    const stream = await open(['fc:count']);
    await anchorOf(stream);
    expect(app.hub.stats()).toMatchObject({
      replays: stats.replays,
      replayedEvents: stats.replayedEvents,
      delivered: stats.delivered,
    });
    expect(app.broker.heads).toBe(heads + 1);
  });

  it('is ignored by the eventsource 4.1.1 client: it reconnects without Last-Event-ID and misses what was published meanwhile', async () => {
    const lastEventIds: (string | undefined)[] = [];
    const subscription = app.hub.lifecycle$.subscribe((event) => {
      if (event.type === 'connected' && event.client.request.headers['x-test-tag'] === 'npm-client') {
        lastEventIds.push(event.client.lastEventId);
      }
    });
    const client = new TestEventSource(streamUrl(app.server.url, ['fc:npm']), {
      fetch: (url, init) => fetch(url, { ...init, headers: { ...init?.headers, ...tagged('npm-client') } }),
    });
    try {
      await client.waitFor((c) => c.opens === 1, 'open');
      await waitForHub(app.hub, (h) => h.count('fc:npm') === 1);
      // The server ends the stream; the client reconnects after the retry hint.
      await app.hub.disconnect((c) => c.request.headers['x-test-tag'] === 'npm-client');
      await app.hub.publish('fc:npm', 'missed');
      await client.waitFor((c) => c.opens === 2, 'the reconnection');
      await waitForHub(app.hub, (h) => h.count('fc:npm') === 1);
      const live = await app.hub.publish('fc:npm', 'live');
      await client.waitForEvents(1);
      expect(client.events.map((e) => [e.lastEventId, e.data])).toEqual([[live, 'live']]);
      expect(lastEventIds).toEqual([undefined, undefined]);
    } finally {
      subscription.unsubscribe();
      client.close();
    }
  });
});

describe('SseHub: a stream opened while the namespace has had no event', () => {
  const app = appOnHeadBroker();

  it('starts at seq 0 of the epoch the first events get, and resumes from there with every event', async () => {
    const first = await openEventStream(app.server.app, streamUrl('', ['empty:a']));
    const anchor = await anchorOf(first);
    first.close();
    expect(anchor).toMatch(/^[a-z0-9]+\.0$/);
    const published = [await app.hub.publish('empty:a', 'one'), await app.hub.publish('empty:a', 'two')];
    expect(published.map((id) => parseEventId(id)!.epoch)).toEqual([anchor.split('.')[0], anchor.split('.')[0]]);

    const again = await openEventStream(app.server.app, streamUrl('', ['empty:a']), {
      headers: { 'last-event-id': anchor },
    });
    const events = await again.waitForEvents(2);
    expect(events.map((e) => [e.id, e.data])).toEqual([
      [published[0], 'one'],
      [published[1], 'two'],
    ]);
    expect(again.events.some((e) => e.type === 'sse-reset')).toBe(false);
    again.close();
  });
});

describe('SseHub: events held for a first connect past the byte budget', () => {
  const maxBufferedBytes = 64 * 1024;
  const app = appOnHeadBroker({ maxBufferedBytes });

  it('are read again from history after the anchor: each arrives once, in order', async () => {
    app.broker.gate = deferred();
    app.broker.asked = deferred();
    const opening = openEventStream(app.server.app, streamUrl('', ['budget:a']));
    await app.broker.asked.promise;
    const big = 'x'.repeat(16 * 1024);
    const during: string[] = [];
    // Five times the budget, held while the head read waits: the channel events are let go of.
    for (let i = 0; i < 20; i++) during.push(await app.hub.publish('budget:a', `${i}:${big}`));
    app.broker.gate.resolve();
    app.broker.gate = undefined;
    const stream = await opening;
    expect(await anchorOf(stream)).toBe(before(during[0]));
    const live = await app.hub.publish('budget:a', 'live');
    const events = await stream.waitForEvents(21);
    expect(events.map((e) => e.id)).toEqual([...during, live]);
    expect(events.map((e) => e.data.split(':')[0])).toEqual([...during.map((_, i) => String(i)), 'live']);
    stream.close();
  });
});
