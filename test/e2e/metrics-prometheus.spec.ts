import { Registry, register } from 'prom-client';
import { Test } from '@nestjs/testing';
import { openEventStream, waitForConnections, waitForHub, type TestEventStream } from 'nestjs-event-stream/testing';
import { SsePrometheusModule } from 'nestjs-event-stream/prometheus';
import { SseHub, SseModule } from '../../lib/index.js';
import {
  METRICS_AUTH,
  MetricsFeedController,
  MetricsFramesController,
  MetricsRoomsController,
  bearer,
} from '../src/metrics/metrics-fixture.js';
import { sampleOf, scrape } from '../src/metrics/exposition.js';
import { openPausedSocket } from '../src/metrics/paused-socket.js';
import { createTestApplication, listen, type TestApp } from '../utils/test-app.js';

const ROOMS = '/rooms/:room/events';
const FEED = '/feed/:channel';
const nextTurn = () => new Promise<void>((resolve) => setImmediate(resolve));

describe('SsePrometheusModule: GET /metrics with real traffic', () => {
  const maxBufferedBytes = 128 * 1024;
  let server: TestApp;
  let hub: SseHub;
  const streams: TestEventStream[] = [];
  const metrics = () => scrape(`${server.url}/metrics`);

  beforeAll(async () => {
    const moduleRef = await Test.createTestingModule({
      imports: [
        SseModule.forRoot({
          auth: METRICS_AUTH,
          maxConnectionsPerUser: 1,
          maxConnections: 4,
          maxBufferedBytes,
          heartbeatMs: 60_000,
          history: { maxEvents: 20_000 },
        }),
        SsePrometheusModule.register(),
      ],
      controllers: [MetricsRoomsController, MetricsFeedController, MetricsFramesController],
    }).compile();
    server = await listen(await createTestApplication(moduleRef, { logger: false, forceCloseConnections: true }));
    hub = server.app.get(SseHub);
  });
  afterAll(async () => {
    streams.splice(0).forEach((stream) => stream.close());
    await server.close();
  });

  async function open(path: string, headers: Record<string, string> = {}): Promise<TestEventStream> {
    const stream = await openEventStream(server.app, path, { headers });
    streams.push(stream);
    return stream;
  }

  it('serves every metric in the global registry, at 0 before any traffic, in the text exposition format', async () => {
    const response = await fetch(`${server.url}/metrics`);
    expect(response.headers.get('content-type')).toBe(register.contentType);
    const text = await response.text();
    expect(text).toContain('# TYPE sse_streams_open gauge');
    expect(text).toContain('# TYPE sse_stream_duration_seconds histogram');
    expect(sampleOf(text, 'sse_streams_opened_total')).toBe(0);
    expect(sampleOf(text, 'sse_streams_closed_total', { reason: 'client-closed' })).toBe(0);
    expect(sampleOf(text, 'sse_refusals_total', { status: '401' })).toBe(0);
    expect(sampleOf(text, 'sse_broker_up')).toBe(1);
    expect(sampleOf(text, 'sse_broker_state', { state: 'up' })).toBe(1);
    expect(sampleOf(text, 'sse_broker_state', { state: 'down' })).toBe(0);
    expect(text).not.toMatch(/sse_streams_open\{/); // no route has had a stream yet
  });

  it('counts streams opened, open by route, closed by reason with their durations, refusals and fan-out', async () => {
    const alice = await open('/rooms/lobby/events', bearer('token-alice'));
    const bob = await open('/rooms/lobby/events', bearer('token-bob'));
    const anonymous = await open('/feed/news');
    expect([alice.status, bob.status, anonymous.status]).toEqual([200, 200, 200]);
    await waitForConnections(hub, 3);

    // Refusals: no token (401), a channel the authorizer refuses (403), alice's second tab (429), past maxConnections (503).
    const refusals = [
      await open('/rooms/lobby/events'),
      await open('/rooms/secret/events', bearer('token-carol')),
      await open('/rooms/lobby/events', bearer('token-alice')),
    ];
    expect(refusals.map((refusal) => refusal.status)).toEqual([401, 403, 429]);
    await open('/feed/other');
    await waitForConnections(hub, 4);
    const full = await open('/feed/news');
    expect(full.status).toBe(503);

    let text = await metrics();
    expect(sampleOf(text, 'sse_streams_opened_total')).toBe(4);
    expect(sampleOf(text, 'sse_streams_open', { route: ROOMS })).toBe(2);
    expect(sampleOf(text, 'sse_streams_open', { route: FEED })).toBe(2);
    for (const status of ['401', '403', '429', '503']) {
      expect(sampleOf(text, 'sse_refusals_total', { status })).toBe(1);
    }
    expect(sampleOf(text, 'sse_channels')).toBe(3);

    // Fan-out: one event to the two streams of the lobby, each sees the same bytes.
    const bytesBefore = sampleOf(text, 'sse_bytes_written_total')!;
    const lengthBefore = Buffer.byteLength(alice.text);
    await hub.publish('room:lobby', { hello: 'lobby' });
    await Promise.all([alice.waitForEvents(1), bob.waitForEvents(1)]);
    text = await metrics();
    expect(sampleOf(text, 'sse_events_published_total')).toBe(1);
    expect(sampleOf(text, 'sse_events_delivered_total')).toBe(2);
    expect(sampleOf(text, 'sse_bytes_written_total')! - bytesBefore).toBe(
      2 * (Buffer.byteLength(alice.text) - lengthBefore),
    );

    // Two closes: a client that leaves, a disconnect by the server.
    alice.close();
    await hub.disconnect((client) => (client.user as { id?: string } | undefined)?.id === 'bob');
    await waitForConnections(hub, 2);
    text = await metrics();
    expect(sampleOf(text, 'sse_streams_closed_total', { reason: 'client-closed' })).toBe(1);
    expect(sampleOf(text, 'sse_streams_closed_total', { reason: 'disconnected' })).toBe(1);
    expect(sampleOf(text, 'sse_streams_open', { route: ROOMS })).toBe(0);
    expect(sampleOf(text, 'sse_streams_open', { route: FEED })).toBe(2);
    const duration = { route: ROOMS, reason: 'client-closed' };
    expect(sampleOf(text, 'sse_stream_duration_seconds_count', duration)).toBe(1);
    expect(sampleOf(text, 'sse_stream_duration_seconds_bucket', { ...duration, le: '+Inf' })).toBe(1);
    expect(sampleOf(text, 'sse_stream_duration_seconds_sum', duration)).toBeGreaterThan(0);
    expect(sampleOf(text, 'sse_broker_publish_duration_seconds_count', { outcome: 'ok' })).toBe(1);

    streams.splice(0).forEach((stream) => stream.close());
    await waitForConnections(hub, 0);
    text = await metrics();
    expect(sampleOf(text, 'sse_streams_closed_total', { reason: 'client-closed' })).toBe(3);
    expect(sampleOf(text, 'sse_streams_open', { route: FEED })).toBe(0);
  });

  it('counts a client cut off for not reading as a slow-client close, and the events it dropped', async () => {
    const before = await metrics();
    const fast = await open('/feed/flood');
    const slow = await openPausedSocket(`${server.url}/feed/flood`);
    slow.on('error', () => undefined);
    await waitForConnections(hub, 2);
    const payload = 'x'.repeat(16 * 1024);
    let published = 0;
    while (hub.stats().slowClientDisconnects === 0 && published < 2000) {
      await hub.publish('flood', { n: published++, payload });
      await fast.waitForEvents(published);
      await nextTurn();
    }
    await waitForHub(hub, (h) => h.count() === 1);
    slow.destroy();
    const text = await metrics();
    expect(sampleOf(text, 'sse_slow_client_disconnects_total')).toBe(1);
    const closedSlow = (t: string) => sampleOf(t, 'sse_streams_closed_total', { reason: 'slow-client' });
    expect(closedSlow(text)! - closedSlow(before)!).toBe(1);
    expect(sampleOf(text, 'sse_stream_duration_seconds_count', { route: FEED, reason: 'slow-client' })).toBe(1);
    expect(sampleOf(text, 'sse_events_dropped_total')).toBeGreaterThanOrEqual(1);
    fast.close();
    await waitForConnections(hub, 0);
  });

  it('counts a value that could not be framed, and the stream that completed after it', async () => {
    const before = await metrics();
    const stream = await open('/frames/bad');
    await stream.waitForEnd();
    expect(stream.events.map((event) => event.type)).toEqual(['good', 'sse-end']);
    const text = await metrics();
    expect(sampleOf(text, 'sse_frame_errors_total')! - sampleOf(before, 'sse_frame_errors_total')!).toBe(1);
    const completed = (t: string) => sampleOf(t, 'sse_streams_closed_total', { reason: 'completed' })!;
    expect(completed(text) - completed(before)).toBe(1);
    expect(sampleOf(text, 'sse_stream_duration_seconds_count', { route: '/frames/bad', reason: 'completed' })).toBe(1);
  });

  it('counts a resume from a Last-Event-ID with the events it replayed, and a reset for an id it cannot resume', async () => {
    const before = await metrics();
    const delta = (t: string, name: string) => sampleOf(t, name)! - sampleOf(before, name)!;
    const first = await open('/feed/replayed');
    await waitForConnections(hub, 1);
    await hub.publish('replayed', 'one');
    await hub.publish('replayed', 'two');
    await hub.publish('replayed', 'three');
    const [one] = await first.waitForEvents(3);
    first.close();
    await waitForConnections(hub, 0);

    const resumed = await open('/feed/replayed', { 'last-event-id': one.id! });
    expect((await resumed.waitForEvents(2)).map((event) => event.data)).toEqual(['two', 'three']);
    let text = await metrics();
    expect(delta(text, 'sse_replays_total')).toBe(1);
    expect(delta(text, 'sse_replayed_events_total')).toBe(2);
    expect(delta(text, 'sse_resets_total')).toBe(0);

    // An id of another epoch: caught up too (a replay), told first that its position is gone (a reset).
    const unknown = await open('/feed/replayed', { 'last-event-id': 'zzzz.1' });
    await unknown.waitForEvents(1);
    expect(unknown.events[0].type).toBe('sse-reset');
    text = await metrics();
    expect(delta(text, 'sse_replays_total')).toBe(2);
    expect(delta(text, 'sse_resets_total')).toBe(1);
    streams.splice(0).forEach((stream) => stream.close());
    await waitForConnections(hub, 0);
  });

  it('counts a stream ended by hub.revoke() as revoked, with its duration', async () => {
    const before = await metrics();
    const revoked = (t: string) => sampleOf(t, 'sse_streams_closed_total', { reason: 'revoked' })!;
    const alice = await open('/rooms/lobby/events', bearer('token-alice'));
    await waitForConnections(hub, 1);
    await hub.revoke({ userId: 'alice' });
    await alice.waitForEnd();
    await waitForConnections(hub, 0);
    const text = await metrics();
    expect(revoked(text) - revoked(before)).toBe(1);
    expect(sampleOf(text, 'sse_stream_duration_seconds_count', { route: ROOMS, reason: 'revoked' })).toBe(1);
  });
});

describe('SsePrometheusModule: streams that end on their own deadline, and routes under a global prefix', () => {
  let server: TestApp;
  let hub: SseHub;
  const registry = new Registry();
  const metrics = () => scrape(`${server.url}/metrics`);

  beforeAll(async () => {
    const moduleRef = await Test.createTestingModule({
      imports: [
        SseModule.forRoot({ maxLifetimeMs: 300, maxLifetimeJitter: 0 }),
        SsePrometheusModule.register({ registry }),
      ],
      controllers: [MetricsFeedController],
    }).compile();
    const app = await createTestApplication(moduleRef, { logger: false, forceCloseConnections: true });
    app.setGlobalPrefix('api', { exclude: ['metrics'] });
    server = await listen(app);
    hub = server.app.get(SseHub);
  });
  afterAll(() => server.close());

  it('labels a stream with its route pattern, global prefix included, and counts its end at maxLifetimeMs as lifetime', async () => {
    const stream = await openEventStream(server.app, '/api/feed/short');
    await waitForConnections(hub, 1);
    expect(sampleOf(await metrics(), 'sse_streams_open', { route: '/api/feed/:channel' })).toBe(1);
    await stream.waitForEnd();
    await waitForConnections(hub, 0);
    const text = await metrics();
    expect(sampleOf(text, 'sse_streams_closed_total', { reason: 'lifetime' })).toBe(1);
    expect(
      sampleOf(text, 'sse_stream_duration_seconds_count', { route: '/api/feed/:channel', reason: 'lifetime' }),
    ).toBe(1);
    expect(sampleOf(text, 'sse_streams_open', { route: '/api/feed/:channel' })).toBe(0);
  });
});

describe('SsePrometheusModule registration', () => {
  async function start(imports: unknown[]): Promise<TestApp> {
    const moduleRef = await Test.createTestingModule({
      imports: [SseModule.forRoot(), ...(imports as never[])],
      controllers: [MetricsFeedController],
    }).compile();
    return listen(await createTestApplication(moduleRef, { logger: false, forceCloseConnections: true }));
  }

  it('goes into a registry of its own with a prefix and a path, and leaves it when the app closes', async () => {
    const registry = new Registry();
    const app = await start([SsePrometheusModule.register({ registry, prefix: 'chat_', path: 'internal/metrics' })]);
    const stream = await openEventStream(app.app, '/feed/a');
    await waitForConnections(app.app.get(SseHub), 1);
    const text = await scrape(`${app.url}/internal/metrics`);
    expect(sampleOf(text, 'chat_sse_streams_open', { route: FEED })).toBe(1);
    expect(text).not.toMatch(/^sse_/m);
    expect((await fetch(`${app.url}/metrics`)).status).toBe(404);
    stream.close();
    await app.close();
    expect(registry.getSingleMetric('chat_sse_streams_open')).toBeUndefined();
    expect((await registry.metrics()).trim()).toBe('');
  });

  it('adds up two apps of one process in one registry, without a duplicate-registration error', async () => {
    const registry = new Registry();
    const first = await start([SsePrometheusModule.register({ registry })]);
    const second = await start([SsePrometheusModule.register({ registry, path: false })]);
    const streams = [await openEventStream(first.app, '/feed/a'), await openEventStream(second.app, '/feed/a')];
    await waitForConnections(first.app.get(SseHub), 1);
    await waitForConnections(second.app.get(SseHub), 1);
    expect(sampleOf(await scrape(`${first.url}/metrics`), 'sse_streams_opened_total')).toBe(2);
    streams.forEach((stream) => stream.close());
    await waitForConnections(second.app.get(SseHub), 0);
    await second.close();
    await waitForConnections(first.app.get(SseHub), 0);
    // The second app's hub left: its counters stay in the totals (a counter never goes down), its gauges go.
    const text = await scrape(`${first.url}/metrics`);
    expect(sampleOf(text, 'sse_streams_opened_total')).toBe(2);
    expect(sampleOf(text, 'sse_streams_closed_total', { reason: 'client-closed' })).toBe(2);
    expect(sampleOf(text, 'sse_streams_open', { route: FEED })).toBe(0);
    await first.close();
  });

  it('counts and times the streams that app.close() ends (reason shutdown) before it leaves the registry', async () => {
    const registry = new Registry();
    const first = await start([SsePrometheusModule.register({ registry })]);
    const second = await start([SsePrometheusModule.register({ registry, path: false })]);
    const stream = await openEventStream(second.app, '/feed/a');
    await waitForConnections(second.app.get(SseHub), 1);
    await second.close();
    await stream.waitForEnd();
    expect(stream.events.at(-1)?.type).toBe('sse-end');
    const text = await scrape(`${first.url}/metrics`);
    expect(sampleOf(text, 'sse_streams_closed_total', { reason: 'shutdown' })).toBe(1);
    expect(sampleOf(text, 'sse_stream_duration_seconds_count', { route: FEED, reason: 'shutdown' })).toBe(1);
    expect(sampleOf(text, 'sse_streams_open', { route: FEED })).toBeUndefined();
    await first.close();
  });

  it('refuses to start over a metric of the same name that is not its own, naming the prefix option', async () => {
    const registry = new Registry();
    new (await import('prom-client')).Gauge({ name: 'sse_channels', help: 'someone else', registers: [registry] });
    await expect(start([SsePrometheusModule.register({ registry })])).rejects.toThrow(
      /already has a metric named "sse_channels".*prefix/,
    );
  });

  it('checks its options at register()', () => {
    expect(() => SsePrometheusModule.register({ prefix: 'my-app' })).toThrow(/prefix must match/);
    expect(() => SsePrometheusModule.register({ path: '' })).toThrow(/path must be/);
    expect(() => SsePrometheusModule.register({ registry: {} as Registry })).toThrow(/registry must be/);
  });
});
