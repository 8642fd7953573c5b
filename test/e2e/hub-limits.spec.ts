import { type TestEventStream, openEventStream, waitForHub } from 'nestjs-event-stream/testing';
import { SseHub } from '../../lib/index.js';
import { DelegatingBroker, HubController, streamUrl } from '../src/hub/hub-fixture.js';
import { startApp, type TestApp } from '../utils/test-app.js';
import { deferred } from '../utils/wait.js';

/** Refused before any stream byte: a JSON error with Retry-After, not an event stream. */
async function expectRefused(stream: TestEventStream, status: number, message: string): Promise<void> {
  await stream.ended;
  expect(stream.status).toBe(status);
  expect(stream.headers['retry-after']).toBe('1');
  expect(stream.headers['content-type']).toContain('application/json');
  expect(JSON.parse(stream.text)).toMatchObject({ statusCode: status, message });
  expect(stream.text).not.toContain('retry:');
}

describe('SseHub connection limits', () => {
  let server: TestApp;
  let hub: SseHub;
  const streams: TestEventStream[] = [];

  async function open(channels: string[], user?: string): Promise<TestEventStream> {
    const stream = await openEventStream(server.app, streamUrl('', channels), {
      headers: user ? { 'x-user-id': user } : {},
    });
    streams.push(stream);
    return stream;
  }

  beforeAll(async () => {
    server = await startApp(
      { controllers: [HubController] },
      { maxConnections: 4, maxConnectionsPerUser: 2, retryMs: 1000 },
    );
    hub = server.app.get(SseHub);
  });
  afterEach(async () => {
    streams.splice(0).forEach((stream) => stream.close());
    await waitForHub(hub, (h) => h.count() === 0);
  });
  afterAll(() => server.close());

  it('answers 429 with Retry-After past maxConnectionsPerUser, leaving that user’s open streams alone', async () => {
    const tab1 = await open(['lim:u'], 'alice');
    const tab2 = await open(['lim:u'], 'alice');
    const third = await open(['lim:u'], 'alice');
    await expectRefused(
      third,
      429,
      'This user already has 2 open event streams (maxConnectionsPerUser); close one, or share one stream between tabs.',
    );
    // Other users and anonymous streams are not counted against alice.
    const bob = await open(['lim:u'], 'bob');
    expect(bob.status).toBe(200);
    const id = await hub.publish('lim:u', 'still flowing');
    for (const stream of [tab1, tab2, bob]) expect((await stream.waitForEvents(1))[0].id).toBe(id);
    expect(hub.connections({ userId: 'alice' })).toHaveLength(2);
    // Once a tab closes, the user may open another.
    tab1.close();
    await waitForHub(hub, (h) => h.count() === 2);
    expect((await open(['lim:u'], 'alice')).status).toBe(200);
  });

  it('answers 503 with Retry-After past maxConnections, leaving the open streams alone', async () => {
    const open4 = [
      await open(['lim:all']),
      await open(['lim:all']),
      await open(['lim:all'], 'carol'),
      await open(['lim:all']),
    ];
    const refused = await open(['lim:all']);
    await expectRefused(
      refused,
      503,
      'This server holds its maximum of 4 event streams (maxConnections); retry later.',
    );
    expect(hub.count()).toBe(4);
    const id = await hub.publish('lim:all', 'still flowing');
    for (const stream of open4) expect((await stream.waitForEvents(1))[0].id).toBe(id);
    open4[0].close();
    await waitForHub(hub, (h) => h.count() === 3);
    expect((await open(['lim:all'])).status).toBe(200);
  });
});

/** Holds every subscribe until released, as a networked broker's round trip would, so that streams are still opening together. */
class HeldBroker extends DelegatingBroker {
  held = 0;
  heldChanged = deferred();
  release = deferred();

  override async subscribe(channel: string): Promise<void> {
    this.held++;
    this.heldChanged.resolve();
    await this.release.promise;
    await super.subscribe(channel);
  }
}

describe('SseHub connection limits with streams still opening', () => {
  let server: TestApp;
  let hub: SseHub;
  let broker: HeldBroker;

  beforeAll(async () => {
    broker = new HeldBroker();
    server = await startApp(
      { controllers: [HubController] },
      { broker, maxConnections: 3, maxConnectionsPerUser: 1, retryMs: 1000 },
    );
    hub = server.app.get(SseHub);
  });
  afterAll(() => server.close());

  async function openTogether(count: number, user: (i: number) => string | undefined): Promise<TestEventStream[]> {
    broker.held = 0;
    broker.release = deferred();
    let answered = 0;
    const all = Promise.all(
      Array.from({ length: count }, async (_, i) => {
        const id = user(i);
        const headers: Record<string, string> = id ? { 'x-user-id': id } : {};
        const stream = await openEventStream(server.app, streamUrl('', [`together:${i}`]), { headers });
        answered++;
        broker.heldChanged.resolve();
        return stream;
      }),
    );
    // Wait until every request was either refused or let in (and is now held, joining).
    while (broker.held + answered < count) {
      broker.heldChanged = deferred();
      await broker.heldChanged.promise;
    }
    broker.release.resolve();
    return all;
  }

  it('counts streams that are still joining against maxConnections', async () => {
    const streams = await openTogether(6, () => undefined);
    const statuses = streams.map((s) => s.status).sort();
    streams.forEach((s) => s.close());
    await waitForHub(hub, (h) => h.count() === 0);
    expect(statuses).toEqual([200, 200, 200, 503, 503, 503]);
  });

  it('counts streams that are still joining against maxConnectionsPerUser', async () => {
    const streams = await openTogether(4, () => 'dave');
    const statuses = streams.map((s) => s.status).sort();
    streams.forEach((s) => s.close());
    await waitForHub(hub, (h) => h.count() === 0);
    expect(statuses).toEqual([200, 429, 429, 429]);
  });
});
