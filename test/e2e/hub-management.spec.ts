import { Controller } from '@nestjs/common';
import { type TestEventStream, openEventStream, waitForHub } from 'nestjs-event-stream/testing';
import { EventStream, SseClient, SseHub, parseEventId, sseEvent, type SseLifecycleEvent } from '../../lib/index.js';
import { DelegatingBroker, HubController, connectionOf, streamUrl, tagged } from '../src/hub/hub-fixture.js';
import { startApp, type TestApp } from '../utils/test-app.js';

/** Records what the hub asks of its broker. */
class RecordingBroker extends DelegatingBroker {
  readonly calls: string[] = [];
  override subscribe(channel: string): Promise<void> | void {
    this.calls.push(`subscribe ${channel}`);
    return super.subscribe(channel);
  }
  override unsubscribe(channel: string): Promise<void> | void {
    this.calls.push(`unsubscribe ${channel}`);
    return super.unsubscribe(channel);
  }
}

@Controller('misuse')
class MisuseController {
  constructor(private readonly hub: SseHub) {}

  @EventStream('not-a-client')
  notAClient() {
    return this.hub.join({ id: 'fake' } as SseClient, ['a']);
  }
}

describe('SseHub connections, stats and lifecycle', () => {
  let server: TestApp;
  let hub: SseHub;
  let broker: RecordingBroker;
  const streams: TestEventStream[] = [];
  const lifecycle: SseLifecycleEvent[] = [];

  async function open(channels: string[], headers: Record<string, string> = {}): Promise<TestEventStream> {
    const stream = await openEventStream(server.app, streamUrl('', channels), { headers });
    streams.push(stream);
    return stream;
  }

  async function closeAll(): Promise<void> {
    streams.splice(0).forEach((stream) => stream.close());
    await waitForHub(hub, (h) => h.count() === 0);
  }

  beforeAll(async () => {
    broker = new RecordingBroker();
    server = await startApp({ controllers: [HubController, MisuseController] }, { broker });
    hub = server.app.get(SseHub);
    hub.lifecycle$.subscribe((event) => lifecycle.push(event));
  });
  afterEach(closeAll);
  afterAll(() => server.close());

  it('lists and counts open streams, by channel, by user or by predicate', async () => {
    await open(['room:1', 'all'], tagged('a', { 'x-user-id': 'u1' }));
    await open(['room:1', 'all'], tagged('b', { 'x-user-id': 'u2' }));
    await open(['room:2', 'all'], tagged('c', { 'x-user-sub': 'u1' }));
    await openEventStream(server.app, `/hub/plain`).then((stream) => streams.push(stream));
    const tags = (clients: SseClient[]) => clients.map((c) => c.request.headers['x-test-tag'] ?? 'plain').sort();
    expect(hub.count()).toBe(4);
    expect(hub.count('room:1')).toBe(2);
    expect(hub.count('all')).toBe(3);
    expect(hub.count('nobody')).toBe(0);
    expect(tags(hub.connections())).toEqual(['a', 'b', 'c', 'plain']);
    expect(tags(hub.connections({ channel: 'room:1' }))).toEqual(['a', 'b']);
    expect(tags(hub.connections({ userId: 'u1' }))).toEqual(['a', 'c']);
    expect(tags(hub.connections({ channel: 'all', userId: 'u1' }))).toEqual(['a', 'c']);
    expect(tags(hub.connections((c) => c.request.headers['x-user-id'] === 'u2'))).toEqual(['b']);
    expect(hub.stats()).toMatchObject({ connections: 4, channels: 3 });
  });

  it('disconnects one stream by id, or every stream a predicate picks, and says how many it ended', async () => {
    const one = await open(['d'], tagged('one'));
    const two = await open(['d'], tagged('two', { 'x-user-id': 'kick' }));
    const three = await open(['d'], tagged('three', { 'x-user-id': 'kick' }));
    const stays = await open(['d'], tagged('stays'));
    expect(await hub.disconnect(connectionOf(hub, 'one').id)).toBe(1);
    await one.ended;
    expect(await hub.disconnect((client) => client.request.headers['x-user-id'] === 'kick')).toBe(2);
    await Promise.all([two.ended, three.ended]);
    expect(await hub.disconnect('no-such-connection')).toBe(0);
    expect(hub.count('d')).toBe(1);
    const id = await hub.publish('d', 'still here');
    const [event] = await stays.waitForEvents(1);
    expect(event.id).toBe(id);
    // A disconnected stream ends cleanly: its last frame is complete.
    expect(one.text.endsWith('\n\n')).toBe(true);
  });

  it('reports connected, joined and disconnected (with the reason), in that order', async () => {
    lifecycle.length = 0;
    const kicked = await open(['life:a', 'life:b'], tagged('kicked'));
    const leaves = await open(['life:a'], tagged('leaves'));
    const kickedClient = connectionOf(hub, 'kicked');
    const leavesClient = connectionOf(hub, 'leaves');
    await hub.disconnect(kickedClient.id);
    await kicked.ended;
    leaves.close();
    await waitForHub(hub, (h) => h.count() === 0);
    const of = (client: SseClient) =>
      lifecycle
        .filter((event) => event.client === client)
        .map((event) =>
          event.type === 'joined'
            ? `joined ${event.channels.join(',')}`
            : event.type === 'disconnected'
              ? `disconnected ${event.reason}`
              : event.type,
        );
    expect(of(kickedClient)).toEqual(['connected', 'joined life:a,life:b', 'disconnected disconnected']);
    expect(of(leavesClient)).toEqual(['connected', 'joined life:a', 'disconnected client-closed']);
  });

  it('tells disconnected once the stream has left its channels and the hub no longer counts it', async () => {
    const seen: string[] = [];
    const subscription = hub.lifecycle$.subscribe((event) => {
      if (event.type === 'disconnected') {
        seen.push(`count ${hub.count()} life:c ${hub.count('life:c')} listed ${hub.connections().length}`);
      }
    });
    try {
      const first = await open(['life:c'], tagged('first'));
      const second = await open(['life:c'], tagged('second'));
      first.close();
      await waitForHub(hub, () => seen.length === 1);
      second.close();
      await waitForHub(hub, () => seen.length === 2);
    } finally {
      subscription.unsubscribe();
    }
    expect(seen).toEqual(['count 1 life:c 1 listed 1', 'count 0 life:c 0 listed 0']);
  });
  it('counts events published, frames delivered, and frames dropped', async () => {
    const before = hub.stats();
    const a = await open(['s:a'], tagged('sa'));
    const b = await open(['s:a', 's:b'], tagged('sb'));
    await hub.publish('s:a', 'to two');
    await hub.publish('s:b', 'to one');
    await hub.publish('s:nobody', 'to none');
    await hub.broadcast('to both');
    await a.waitForEvents(2);
    await b.waitForEvents(3);
    const after = hub.stats();
    expect(after.eventsPublished - before.eventsPublished).toBe(3);
    expect(after.delivered - before.delivered).toBe(5);
    expect(after.dropped).toBe(before.dropped);
    expect(after.slowClientDisconnects).toBe(0);
    expect(after.connections).toBe(2);
    expect(after.channels).toBe(2);
  });

  it('frees a channel, and unsubscribes the broker, when its last stream leaves', async () => {
    broker.calls.length = 0;
    const first = await open(['free:a', 'free:b']);
    const second = await open(['free:a']);
    expect(broker.calls.sort()).toEqual(['subscribe free:a', 'subscribe free:b']);
    first.close();
    await waitForHub(hub, (h) => h.count() === 1);
    expect(hub.count('free:b')).toBe(0);
    expect(hub.count('free:a')).toBe(1);
    second.close();
    await waitForHub(hub, (h) => h.count() === 0);
    expect(hub.stats().channels).toBe(0);
    // The broker is told once per channel, after the hub let go of it.
    await new Promise((resolve) => setImmediate(resolve));
    expect(broker.calls.sort()).toEqual([
      'subscribe free:a',
      'subscribe free:b',
      'unsubscribe free:a',
      'unsubscribe free:b',
    ]);
  });

  it('frees every channel after many streams on many channels come and go', async () => {
    for (let round = 0; round < 3; round++) {
      await Promise.all(
        Array.from({ length: 30 }, (_, i) => open([`churn:${i % 7}`, `churn:own:${round}:${i}`, 'churn:all'])),
      );
      expect(hub.stats().channels).toBe(7 + 30 + 1);
      await hub.publish('churn:all', `round ${round}`);
      await Promise.all(streams.map((stream) => stream.waitForEvents(1)));
      await closeAll();
      expect(hub.stats()).toMatchObject({ connections: 0, channels: 0 });
    }
  });

  it('answers 400 with the reason, before any stream byte, for a channel name from the request', async () => {
    for (const channels of [['bad room'], [''], ['ok', 'x'.repeat(201)], ['é']]) {
      const response = await fetch(streamUrl(server.url, channels));
      expect(response.status).toBe(400);
      expect(response.headers.get('content-type')).toContain('application/json');
      const body = (await response.json()) as { message: string };
      expect(body.message).toMatch(
        /^Invalid SSE channel name .*: use 1 to 200 letters, digits or -_.:\/@ characters\.$/,
      );
    }
    expect(hub.stats()).toMatchObject({ connections: 0, channels: 0 });
  });

  it('refuses, with a clear error, a join without the client from @SseClient()', async () => {
    const response = await fetch(`${server.url}/misuse/not-a-client`);
    expect(response.status).toBe(500);
    expect(() => hub.join({ id: 'x' } as SseClient, 'a')).toThrow(
      'SseHub.join() needs the client from @SseClient(), got a plain object.',
    );
  });
});

describe('SseHub history memory', () => {
  let server: TestApp;
  let hub: SseHub;
  afterAll(() => server.close());

  it('keeps the history of at most history.maxChannels channels when 20,000 channels nobody joined are published to', async () => {
    server = await startApp({ controllers: [HubController] }, { history: { maxChannels: 500 } });
    hub = server.app.get(SseHub);
    const first = await hub.publish('lonely:0', sseEvent({ event: 'x', data: 0 }));
    for (let i = 1; i < 20_000; i++) await hub.publish(`lonely:${i}`, i);
    expect(hub.stats()).toMatchObject({ channels: 0, eventsPublished: 20_000, delivered: 0 });
    const { epoch } = parseEventId(first)!;

    // A channel among the 500 most recent still replays...
    const kept = await openEventStream(server.app, streamUrl('', ['lonely:19600']), {
      headers: { 'last-event-id': `${epoch}.19600` },
    });
    const [event] = await kept.waitForEvents(1);
    expect(event).toMatchObject({ id: `${epoch}.19601`, data: '19600' });
    // ...an older one was dropped, and a client resuming it is told, not silently skipped.
    const dropped = await openEventStream(server.app, streamUrl('', ['lonely:0']), {
      headers: { 'last-event-id': first },
    });
    const [reset] = await dropped.waitForEvents(1);
    expect(reset.type).toBe('sse-reset');
    expect(JSON.parse(reset.data)).toEqual({ reason: 'expired', lastEventId: first });
    kept.close();
    dropped.close();
  });
});
