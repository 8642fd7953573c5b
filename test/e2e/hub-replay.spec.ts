import type { FetchLike } from 'eventsource';
import { type TestEventStream, openEventStream, waitForHub } from 'nestjs-event-stream/testing';
import { SseHub, parseEventId, sseEvent } from '../../lib/index.js';
import type { SseBrokerPosition, SseHistoryPage } from '../../lib/broker.js';
import { DelegatingBroker, HubController, streamUrl } from '../src/hub/hub-fixture.js';
import { TestEventSource } from '../utils/event-source-client.js';
import { startApp, type TestApp } from '../utils/test-app.js';
import { deferred, type Deferred } from '../utils/wait.js';

const nextTurn = () => new Promise<void>((resolve) => setImmediate(resolve));

/** Publishes to `channels` in turn, several events per turn of the event loop, until stopped. */
function publisherLoop(hub: SseHub, channels: string[]) {
  const published: string[] = [];
  let running = true;
  const done = (async () => {
    let n = 0;
    while (running) {
      for (let i = 0; i < 5; i++) {
        published.push(await hub.publish(channels[n % channels.length], sseEvent({ event: 'n', data: n })));
        n++;
      }
      await nextTurn();
    }
  })();
  return {
    published,
    /** Resolves once at least `count` events were published. */
    async reached(count: number) {
      while (published.length < count) await nextTurn();
    },
    async stop() {
      running = false;
      await done;
      return published.slice();
    },
  };
}

/**
 * Delivery to one stream is ordered: once a broadcast marker sent after the
 * last publish has arrived, anything else (a duplicate) would have too.
 */
async function settleStream(hub: SseHub, stream: TestEventStream): Promise<void> {
  await hub.broadcast(sseEvent({ event: 'marker', data: '' }));
  await stream.waitForText((text) => text.includes('event: marker\n'));
}

describe('SseHub replay from Last-Event-ID', () => {
  let server: TestApp;
  let hub: SseHub;
  const streams: TestEventStream[] = [];

  async function open(channels: string[], lastEventId?: string, query = ''): Promise<TestEventStream> {
    const headers: Record<string, string> = lastEventId === undefined ? {} : { 'last-event-id': lastEventId };
    const stream = await openEventStream(server.app, streamUrl('', channels, query), { headers });
    streams.push(stream);
    return stream;
  }

  beforeAll(async () => {
    server = await startApp({ controllers: [HubController] });
    hub = server.app.get(SseHub);
  });
  afterEach(() => streams.splice(0).forEach((stream) => stream.close()));
  afterAll(() => server.close());

  it('replays every missed event of the joined channels in publish order, then continues live', async () => {
    const first = await open(['r:a', 'r:b']);
    const seen = [await hub.publish('r:a', 'a1'), await hub.publish('r:b', 'b1')];
    await first.waitForEvents(2);
    first.close();
    const missed: string[] = [];
    for (let i = 2; i <= 6; i++) {
      missed.push(await hub.publish('r:a', `a${i}`));
      await hub.publish('r:c', `c${i}`);
      missed.push(await hub.publish('r:b', `b${i}`));
    }
    const again = await open(['r:a', 'r:b'], seen[1]);
    const live = await hub.publish('r:b', 'live');
    const events = await again.waitForEvents(11);
    expect(events.map((e) => e.id)).toEqual([...missed, live]);
    expect(events.map((e) => e.data)).toEqual(['a2', 'b2', 'a3', 'b3', 'a4', 'b4', 'a5', 'b5', 'a6', 'b6', 'live']);
    expect(again.events.every((e) => e.type !== 'sse-reset')).toBe(true);
    const seqs = events.map((e) => parseEventId(e.id)!.seq);
    expect(seqs).toEqual([...seqs].sort((x, y) => x - y));
  });

  it('takes the position from a lastEventId query parameter when there is no header', async () => {
    const from = await hub.publish('q:a', 'one');
    const missed = await hub.publish('q:a', 'two');
    const stream = await open(['q:a'], undefined, `&lastEventId=${encodeURIComponent(from)}`);
    const [event] = await stream.waitForEvents(1);
    expect(event).toMatchObject({ id: missed, data: 'two' });
  });

  it('replays nothing when the client saw the newest event', async () => {
    const newest = await hub.publish('n:a', 'seen');
    const stream = await open(['n:a'], newest);
    const live = await hub.publish('n:a', 'live');
    const [event] = await stream.waitForEvents(1);
    expect(event.id).toBe(live);
  });

  it.each([
    ['an id from another epoch', 'zzzzzz.5'],
    ['a seq ahead of the newest event', 'ahead'],
  ])('sends one reset event for %s, moving the client to the newest id, then live events', async (_what, kind) => {
    const head = await hub.publish('u:a', 'before');
    const { epoch, seq } = parseEventId(head)!;
    const lastEventId = kind === 'ahead' ? `${epoch}.${seq + 100}` : kind;
    const stream = await open(['u:a'], lastEventId);
    const live = await hub.publish('u:a', 'live');
    const [reset, event] = await stream.waitForEvents(2);
    expect(reset).toMatchObject({ type: 'sse-reset', id: head });
    expect(JSON.parse(reset.data)).toEqual({ reason: 'unknown', lastEventId });
    expect(event).toMatchObject({ id: live, data: 'live' });
  });

  it.each([
    ['garbage', 'not-an-id'],
    ['a plain number', '42'],
    ['overlong', `${'a'.repeat(10)}.${'1'.repeat(400)}`],
    ['non-ASCII', 'événement.1'],
  ])('treats a Last-Event-ID that is %s as absent: 200, no reset, live events', async (_what, lastEventId) => {
    await hub.publish('g:a', 'old');
    const stream = await open(['g:a'], lastEventId);
    expect(stream.status).toBe(200);
    const live = await hub.publish('g:a', 'live');
    const [event] = await stream.waitForEvents(1);
    expect(event).toMatchObject({ id: live, data: 'live' });
    expect(stream.events).toHaveLength(1);
  });

  it('treats a lastEventId query parameter with control characters as absent', async () => {
    const stream = await open(['g:b'], undefined, '&lastEventId=%01x.1%0A');
    expect(stream.status).toBe(200);
    const live = await hub.publish('g:b', 'live');
    const [event] = await stream.waitForEvents(1);
    expect(event.id).toBe(live);
  });

  it('loses and repeats nothing when a client reconnects while a publisher runs at full speed', async () => {
    const first = await open(['race:a', 'race:b']);
    const loop = publisherLoop(hub, ['race:a', 'race:b']);
    try {
      await first.waitForEvents(50);
      first.close();
      const before = first.events.slice();
      const again = await open(['race:a', 'race:b'], before.at(-1)!.id);
      await again.waitForEvents(50);
      const published = await loop.stop();
      await settleStream(hub, again);
      const after = again.events.filter((e) => e.type !== 'marker');
      expect([...before, ...after].map((e) => e.id)).toEqual(published);
    } finally {
      await loop.stop();
    }
  });
});

describe('SseHub replay with a small history', () => {
  let server: TestApp;
  let hub: SseHub;

  beforeAll(async () => {
    server = await startApp({ controllers: [HubController] }, { history: { maxEvents: 3 }, resetEventName: 'resync' });
    hub = server.app.get(SseHub);
  });
  afterAll(() => server.close());

  it('sends one reset event (named by resetEventName) when the position is older than the history, then what is kept, then live', async () => {
    const ids: string[] = [];
    for (let i = 1; i <= 8; i++) ids.push(await hub.publish('small', `e${i}`));
    const stream = await openEventStream(server.app, streamUrl('', ['small']), {
      headers: { 'last-event-id': ids[1] },
    });
    const live = await hub.publish('small', 'live');
    const events = await stream.waitForEvents(5);
    expect(events[0].type).toBe('resync');
    expect(JSON.parse(events[0].data)).toEqual({ reason: 'expired', lastEventId: ids[1] });
    expect(events.slice(1).map((e) => e.id)).toEqual([...ids.slice(5), live]);
    expect(stream.events.filter((e) => e.type === 'resync')).toHaveLength(1);
    stream.close();
  });

  it('resumes without a reset while the missed events are all kept', async () => {
    const ids: string[] = [];
    for (let i = 1; i <= 5; i++) ids.push(await hub.publish('small:2', `e${i}`));
    const stream = await openEventStream(server.app, streamUrl('', ['small:2']), {
      headers: { 'last-event-id': ids[1] },
    });
    const events = await stream.waitForEvents(3);
    expect(events.map((e) => e.id)).toEqual(ids.slice(2));
    stream.close();
  });
});

/**
 * An in-memory broker whose subscribe and read take a turn of the event loop
 * (as a networked adapter's do), taking the history snapshot either before or
 * after that turn: events published meanwhile reach the joining stream only
 * through the hub's live buffer, or through both.
 */
class SlowBroker extends DelegatingBroker {
  gate: Deferred | undefined;
  replayStarted = deferred();

  constructor(private readonly snapshot: 'before' | 'after') {
    super();
  }

  override async subscribe(channel: string): Promise<void> {
    await nextTurn();
    await super.subscribe(channel);
  }

  override async read(channels: readonly string[], after: SseBrokerPosition, limit: number): Promise<SseHistoryPage> {
    const early = this.snapshot === 'before' ? await super.read(channels, after, limit) : undefined;
    this.replayStarted.resolve();
    await (this.gate?.promise ?? nextTurn());
    return early ?? super.read(channels, after, limit);
  }
}

describe.each(['before', 'after'] as const)('SseHub replay through a broker that snapshots %s a delay', (snapshot) => {
  let server: TestApp;
  let hub: SseHub;
  let adapter: SlowBroker;

  beforeAll(async () => {
    adapter = new SlowBroker(snapshot);
    server = await startApp({ controllers: [HubController] }, { broker: adapter });
    hub = server.app.get(SseHub);
  });
  afterAll(() => server.close());

  it('writes what is published during the replay (channel events, broadcasts, sends to its user) once, after the replayed events', async () => {
    const seen = await hub.publish('slow', 'seen');
    const missed = [await hub.publish('slow', 'm1'), await hub.publish('slow', 'm2')];
    adapter.gate = deferred();
    adapter.replayStarted = deferred();
    const opening = openEventStream(server.app, streamUrl('', ['slow', 'slow:other']), {
      headers: { 'last-event-id': seen, 'x-user-id': 'joining-user' },
    });
    await adapter.replayStarted.promise;
    const during = [
      await hub.publish('slow', 'd1'),
      await hub.publish('slow:other', 'd2'),
      await hub.publish('elsewhere', 'not joined'),
    ];
    await hub.broadcast('broadcast during the replay');
    await hub.sendToUser('joining-user', 'to its user during the replay');
    adapter.gate.resolve();
    adapter.gate = undefined;
    const stream = await opening;
    const live = await hub.publish('slow', 'live');
    await settleStream(hub, stream);
    const events = stream.events.filter((e) => e.type !== 'marker');
    expect(events.map((e) => e.id ?? e.data)).toEqual([
      ...missed,
      during[0],
      during[1],
      'broadcast during the replay',
      'to its user during the replay',
      live,
    ]);
    stream.close();
  });

  it('disconnects a stream that is still joining: it ends as soon as it opens', async () => {
    adapter.gate = deferred();
    adapter.replayStarted = deferred();
    const seen = await hub.publish('slow:kick', 'seen');
    const opening = openEventStream(server.app, streamUrl('', ['slow:kick']), {
      headers: { 'last-event-id': seen, 'x-test-tag': 'kick-me' },
    });
    await adapter.replayStarted.promise;
    expect(await hub.disconnect((client) => client.request.headers['x-test-tag'] === 'kick-me')).toBe(1);
    adapter.gate.resolve();
    adapter.gate = undefined;
    const stream = await opening;
    await stream.ended;
    expect(stream.status).toBe(200);
    // Nothing of the channel: only the final word of the disconnect.
    expect(stream.events.map((e) => [e.type, e.id, e.data])).toEqual([
      ['sse-end', undefined, '{"reason":"disconnected"}'],
    ]);
    expect(hub.count('slow:kick')).toBe(0);
  });

  it('keeps a reconnect gap-free against a concurrent publisher loop', async () => {
    const first = await openEventStream(server.app, streamUrl('', ['loop:a', 'loop:b']));
    const loop = publisherLoop(hub, ['loop:a', 'loop:b']);
    try {
      await first.waitForEvents(40);
      first.close();
      const before = first.events.slice();
      const again = await openEventStream(server.app, streamUrl('', ['loop:a', 'loop:b']), {
        headers: { 'last-event-id': before.at(-1)!.id! },
      });
      await again.waitForEvents(40);
      const published = await loop.stop();
      await settleStream(hub, again);
      const after = again.events.filter((e) => e.type !== 'marker');
      expect([...before, ...after].map((e) => e.id)).toEqual(published);
      again.close();
    } finally {
      await loop.stop();
    }
  });
});

describe('SseHub replay to a real EventSource client', () => {
  let server: TestApp;
  let hub: SseHub;

  const clients: TestEventSource[] = [];

  /** A fetch that records each (re)connect's Last-Event-ID and lets the test hold a reconnect. */
  function recordingFetch() {
    const requests: (string | null)[] = [];
    let hold: Deferred | undefined;
    const reconnecting = { next: deferred() };
    const fetchLike: FetchLike = async (url, init) => {
      requests.push(new Headers(init.headers).get('last-event-id'));
      if (requests.length > 1) reconnecting.next.resolve();
      if (hold) await hold.promise;
      return fetch(url, init);
    };
    return {
      fetch: fetchLike,
      requests,
      holdNext() {
        hold = deferred();
        reconnecting.next = deferred();
        return {
          reconnecting: reconnecting.next.promise,
          release: () => {
            hold!.resolve();
            hold = undefined;
          },
        };
      },
    };
  }

  beforeAll(async () => {
    // The full-speed publisher below can outrun a 1000-event history on a loaded machine
    // before the client is back, which the hub rightly answers with an `expired` reset.
    server = await startApp({ controllers: [HubController] }, { retryMs: 20, history: { maxEvents: 100_000 } });
    hub = server.app.get(SseHub);
  });
  afterAll(async () => {
    clients.forEach((client) => client.close());
    await server.close();
  });

  it('reconnects by itself after hub.disconnect() and gets exactly the missed events', async () => {
    const recorder = recordingFetch();
    const client = new TestEventSource(streamUrl(server.url, ['es:a', 'es:b']), { fetch: recorder.fetch });
    clients.push(client);
    await client.waitFor((c) => c.opens === 1, 'open');
    const seen = [await hub.publish('es:a', 'a1'), await hub.publish('es:b', 'b1')];
    await client.waitForEvents(2);

    const held = recorder.holdNext();
    const [connection] = hub.connections({ channel: 'es:a' });
    expect(await hub.disconnect(connection.id)).toBe(1);
    await held.reconnecting;
    await waitForHub(hub, (h) => h.count() === 0);
    const missed = [await hub.publish('es:b', 'b2'), await hub.publish('es:a', 'a2'), await hub.publish('es:b', 'b3')];
    await hub.publish('es:other', 'not joined');
    held.release();
    await client.waitFor((c) => c.opens === 2, 'the reconnect');
    const live = await hub.publish('es:a', 'live');
    await client.waitForEvents(6);

    expect(recorder.requests).toEqual([null, seen[1]]);
    expect(client.events.map((e) => e.lastEventId)).toEqual([...seen, ...missed, live]);
    expect(client.events.map((e) => e.data)).toEqual(['a1', 'b1', 'b2', 'a2', 'b3', 'live']);
  });

  it('loses and repeats nothing when the server drops it while a publisher runs at full speed', async () => {
    const client = new TestEventSource(streamUrl(server.url, ['es:loop:a', 'es:loop:b']), {
      types: ['n', 'marker', 'sse-reset'],
    });
    clients.push(client);
    await client.waitFor((c) => c.opens === 1, 'open');
    const loop = publisherLoop(hub, ['es:loop:a', 'es:loop:b']);
    try {
      await client.waitForEvents(30);
      await hub.disconnect((c) => c.request.url?.includes('es%3Aloop') === true);
      await client.waitFor((c) => c.opens === 2, 'the reconnect');
      const reconnectedAt = client.events.length;
      await client.waitForEvents(reconnectedAt + 30);
      const published = await loop.stop();
      await hub.broadcast(sseEvent({ event: 'marker', data: '' }));
      await client.waitFor((c) => c.events.some((e) => e.type === 'marker'), 'the marker');
      expect(client.events.filter((e) => e.type === 'sse-reset')).toEqual([]);
      expect(client.events.filter((e) => e.type === 'n').map((e) => e.lastEventId)).toEqual(published);
    } finally {
      await loop.stop();
    }
  });
});
