import { jest } from '@jest/globals';
import { Test } from '@nestjs/testing';
import { MeterProvider } from '@opentelemetry/sdk-metrics';
import { openEventStream, waitForConnections, type TestEventStream } from 'nestjs-event-stream/testing';
import { SSE_METER_NAME, SSE_METER_VERSION, SseOpenTelemetryModule } from 'nestjs-event-stream/opentelemetry';
import { SseHub, SseModule } from '../../lib/index.js';
import { METRICS_AUTH, MetricsFeedController, MetricsRoomsController, bearer } from '../src/metrics/metrics-fixture.js';
import { CollectingReader, histogramOf, valueOf } from '../src/metrics/collecting-reader.js';
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
