import { jest } from '@jest/globals';
import { Test } from '@nestjs/testing';
import { MeterProvider } from '@opentelemetry/sdk-metrics';
import { openEventStream, waitForConnections, type TestEventStream } from 'nestjs-event-stream/testing';
import { SSE_METER_NAME, SSE_METER_VERSION, SseOpenTelemetryModule } from 'nestjs-event-stream/opentelemetry';
import { SseHub, SseModule } from '../../lib/index.js';
import { METRICS_AUTH, MetricsFeedController, MetricsRoomsController, bearer } from '../src/metrics/metrics-fixture.js';
import { CollectingReader, histogramOf, pointsOf, valueOf } from '../src/metrics/collecting-reader.js';
import { CaptureLogger } from '../utils/capture-logger.js';
import { createTestApplication, listen, type TestApp } from '../utils/test-app.js';

const ROOMS = '/rooms/:room/events';

describe('SseOpenTelemetryModule with an SDK MeterProvider and an in-memory reader', () => {
  let server: TestApp;
  let hub: SseHub;
  let reader: CollectingReader;
  let provider: MeterProvider;
  const streams: TestEventStream[] = [];

  beforeAll(async () => {
    reader = new CollectingReader();
    provider = new MeterProvider({ readers: [reader] });
    const moduleRef = await Test.createTestingModule({
      imports: [
        SseModule.forRoot({ auth: METRICS_AUTH, maxConnectionsPerUser: 1, heartbeatMs: 60_000 }),
        SseOpenTelemetryModule.register({ meterProvider: provider }),
      ],
      controllers: [MetricsRoomsController, MetricsFeedController],
    }).compile();
    server = await listen(await createTestApplication(moduleRef, { logger: false, forceCloseConnections: true }));
    hub = server.app.get(SseHub);
  });
  afterAll(async () => {
    streams.splice(0).forEach((stream) => stream.close());
    await server.close();
    await provider.shutdown();
  });

  async function open(path: string, headers: Record<string, string> = {}): Promise<TestEventStream> {
    const stream = await openEventStream(server.app, path, { headers });
    streams.push(stream);
    return stream;
  }

  it('observes streams, refusals, fan-out and bytes, and records stream and publish durations, under the dotted names', async () => {
    const alice = await open('/rooms/lobby/events', bearer('token-alice'));
    const bob = await open('/rooms/lobby/events', bearer('token-bob'));
    const refused = [await open('/rooms/lobby/events'), await open('/rooms/lobby/events', bearer('token-alice'))];
    expect(refused.map((stream) => stream.status)).toEqual([401, 429]);
    await waitForConnections(hub, 2);
    await hub.publish('room:lobby', 'hello');
    await Promise.all([alice.waitForEvents(1), bob.waitForEvents(1)]);
    alice.close();
    await waitForConnections(hub, 1);

    const collected = await reader.read();
    const scope = collected.scopeMetrics.find((each) => each.scope.name === SSE_METER_NAME);
    expect(scope?.scope.version).toBe(SSE_METER_VERSION);
    expect(SSE_METER_VERSION).toMatch(/^\d+\.\d+\.\d+/);
    expect(valueOf(collected, 'sse.streams.open', { 'http.route': ROOMS })).toBe(1);
    expect(valueOf(collected, 'sse.streams.opened')).toBe(2);
    expect(valueOf(collected, 'sse.streams.closed', { 'sse.close.reason': 'client-closed' })).toBe(1);
    expect(valueOf(collected, 'sse.refusals', { 'http.response.status_code': 401 })).toBe(1);
    expect(valueOf(collected, 'sse.refusals', { 'http.response.status_code': 429 })).toBe(1);
    expect(valueOf(collected, 'sse.refusals', { 'http.response.status_code': 503 })).toBe(0);
    expect(valueOf(collected, 'sse.events.published')).toBe(1);
    expect(valueOf(collected, 'sse.events.delivered')).toBe(2);
    expect(valueOf(collected, 'sse.bytes.written')).toBeGreaterThan(0);
    expect(valueOf(collected, 'sse.channels')).toBe(1);
    expect(valueOf(collected, 'sse.broker.up')).toBe(1);
    expect(valueOf(collected, 'sse.broker.state', { 'sse.broker.state': 'up' })).toBe(1);

    const durations = histogramOf(collected, 'sse.stream.duration', {
      'http.route': ROOMS,
      'sse.close.reason': 'client-closed',
    });
    expect(durations?.count).toBe(1);
    expect(durations?.buckets.boundaries).toEqual([
      1, 5, 15, 30, 60, 120, 300, 600, 1800, 3600, 7200, 14400, 43200, 86400,
    ]);
    expect(histogramOf(collected, 'sse.broker.publish.duration', { 'sse.publish.outcome': 'ok' })?.count).toBe(1);

    const descriptors = collected.scopeMetrics.flatMap((each) => each.metrics).map((metric) => metric.descriptor);
    expect(descriptors.find((d) => d.name === 'sse.stream.duration')?.unit).toBe('s');
    expect(descriptors.find((d) => d.name === 'sse.bytes.written')?.unit).toBe('By');
    expect(descriptors.find((d) => d.name === 'sse.streams.open')?.unit).toBe('{stream}');
  });

  it('stops observing and recording once the app is closed', async () => {
    streams.splice(0).forEach((stream) => stream.close());
    await waitForConnections(hub, 0);
    await server.close();
    const stats = jest.spyOn(hub, 'stats');
    await hub.publish('room:lobby', 'after').catch(() => undefined);
    const collected = await reader.read();
    // Its callback is gone (the SDK keeps reporting the last cumulative values), and so is its observer.
    expect(stats).not.toHaveBeenCalled();
    expect(histogramOf(collected, 'sse.broker.publish.duration', { 'sse.publish.outcome': 'ok' })?.count).toBe(1);
  });
});

describe('SseOpenTelemetryModule over the life of apps sharing a MeterProvider', () => {
  let reader: CollectingReader;
  let provider: MeterProvider;

  beforeEach(() => {
    reader = new CollectingReader();
    provider = new MeterProvider({ readers: [reader] });
  });
  afterEach(() => provider.shutdown());

  async function start(options: { heartbeatMs?: number } = {}): Promise<TestApp> {
    const moduleRef = await Test.createTestingModule({
      imports: [SseModule.forRoot(options), SseOpenTelemetryModule.register({ meterProvider: provider })],
      controllers: [MetricsFeedController],
    }).compile();
    return listen(await createTestApplication(moduleRef, { logger: false, forceCloseConnections: true }));
  }
  const opened = async () => pointsOf(await reader.read(), 'sse.streams.opened').map((point) => point.value);

  it('adds up two apps into one point per attribute set, and keeps what an app that closed had counted', async () => {
    const first = await start();
    const second = await start();
    const streams = [
      await openEventStream(first.app, '/feed/a'),
      await openEventStream(first.app, '/feed/b'),
      await openEventStream(first.app, '/feed/c'),
      await openEventStream(second.app, '/feed/a'),
    ];
    await waitForConnections(first.app.get(SseHub), 3);
    await waitForConnections(second.app.get(SseHub), 1);
    expect(await opened()).toEqual([4]);
    expect(valueOf(await reader.read(), 'sse.streams.open', { 'http.route': '/feed/:channel' })).toBe(4);

    streams[3].close();
    await waitForConnections(second.app.get(SseHub), 0);
    await second.close();
    expect(await opened()).toEqual([4]);
    const collected = await reader.read();
    expect(valueOf(collected, 'sse.streams.closed', { 'sse.close.reason': 'client-closed' })).toBe(1);
    expect(valueOf(collected, 'sse.streams.open', { 'http.route': '/feed/:channel' })).toBe(3);

    streams.slice(0, 3).forEach((stream) => stream.close());
    await waitForConnections(first.app.get(SseHub), 0);
    await first.close();
    const third = await start();
    expect(await opened()).toEqual([4]);
    await third.close();
  });

  it('has the streams that app.close() ended (reason shutdown) in a collection after the close', async () => {
    const server = await start();
    const hub = server.app.get(SseHub);
    const stream = await openEventStream(server.app, '/feed/a');
    await waitForConnections(hub, 1);
    await server.close();
    await stream.waitForEnd();
    expect(hub.stats().closed.shutdown).toBe(1);
    const collected = await reader.read();
    expect(valueOf(collected, 'sse.streams.closed', { 'sse.close.reason': 'shutdown' })).toBe(1);
    const durations = histogramOf(collected, 'sse.stream.duration', {
      'http.route': '/feed/:channel',
      'sse.close.reason': 'shutdown',
    });
    expect(durations?.count).toBe(1);
  });

  it('counts exactly the bytes the clients received: retry hint, events, heartbeat and final word', async () => {
    const server = await start({ heartbeatMs: 1000 });
    const hub = server.app.get(SseHub);
    const a = await openEventStream(server.app, '/feed/a');
    const b = await openEventStream(server.app, '/feed/a');
    await waitForConnections(hub, 2);
    await hub.publish('a', { hello: 'wörld ✓' });
    await Promise.all([a.waitForEvents(1), b.waitForEvents(1)]);
    await a.waitForText((text) => text.includes('\n:'));
    await hub.disconnect(() => true);
    await Promise.all([a.waitForEnd(), b.waitForEnd()]);
    expect(a.text).toMatch(/^retry: \d+\n\n/);
    expect(a.text).toContain(': heartbeat\n');
    expect(a.text).toMatch(/event: sse-end\ndata: \{"reason":"disconnected"\}\n\n$/);
    const received = Buffer.byteLength(a.text) + Buffer.byteLength(b.text);
    expect(hub.stats().bytesWritten).toBe(received);
    expect(valueOf(await reader.read(), 'sse.bytes.written')).toBe(received);
    await server.close();
  });
});

describe('SseOpenTelemetryModule without an SDK', () => {
  it('warns at startup that the global MeterProvider is the no-op one', async () => {
    const logger = new CaptureLogger();
    const moduleRef = await Test.createTestingModule({
      imports: [SseModule.forRoot(), SseOpenTelemetryModule.register()],
      controllers: [MetricsFeedController],
    }).compile();
    const app = await createTestApplication(moduleRef, { logger });
    await app.init();
    expect(logger.messages('warn', 'no OpenTelemetry SDK is registered')).toEqual([
      expect.stringMatching(
        /the global MeterProvider is the no-op one.*give SseOpenTelemetryModule.register\(\) a meterProvider/,
      ),
    ]);
    await app.close();
  });
});
