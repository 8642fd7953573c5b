import { Registry } from 'prom-client';
import { Test } from '@nestjs/testing';
import { openEventStream, waitForHub, type TestEventStream } from 'nestjs-event-stream/testing';
import { SsePrometheusModule } from 'nestjs-event-stream/prometheus';
import { RedisSseBroker } from 'nestjs-event-stream/redis';
import { SseHub, SseModule } from '../../lib/index.js';
import { MetricsFeedController } from '../src/metrics/metrics-fixture.js';
import { sampleOf, scrape } from '../src/metrics/exposition.js';
import { randomPrefix, RedisServer } from '../utils/redis.js';
import { CaptureLogger } from '../utils/capture-logger.js';
import { createTestApplication, listen, type TestApp } from '../utils/test-app.js';

/** A private Redis (never the shared one) that the test stops and starts again. */
describe('SsePrometheusModule on RedisSseBroker through a Redis outage', () => {
  let redis: RedisServer;
  let server: TestApp;
  let broker: RedisSseBroker;
  let hub: SseHub;
  /** The broker's link state as the hub reports it (the testing kit polls it every 10 ms, within a deadline). */
  const brokerState = (state: string) =>
    waitForHub(hub, (h) => h.stats().brokerStatus.state === state, { timeoutMs: 10_000 });
  const streams: TestEventStream[] = [];
  const metrics = () => scrape(`${server.url}/metrics`);
  const publish = async (channel: string) =>
    (
      await fetch(`${server.url}/feed/${channel}`, {
        method: 'POST',
        headers: { 'content-type': 'application/json' },
        body: JSON.stringify({ text: 'hello' }),
      })
    ).status;

  beforeAll(async () => {
    redis = await RedisServer.start();
    broker = new RedisSseBroker({
      url: redis.url,
      keyPrefix: randomPrefix('metrics-redis'),
      commandTimeoutMs: 300,
      redisOptions: { retryStrategy: () => 50 },
    });
    const moduleRef = await Test.createTestingModule({
      imports: [
        SseModule.forRoot({ broker, heartbeatMs: 60_000 }),
        SsePrometheusModule.register({ registry: new Registry() }),
      ],
      controllers: [MetricsFeedController],
    }).compile();
    const app = await createTestApplication(moduleRef, { forceCloseConnections: true });
    app.useLogger(new CaptureLogger());
    server = await listen(app);
    hub = server.app.get(SseHub);
  });
  afterAll(async () => {
    streams.splice(0).forEach((stream) => stream.close());
    await server?.close();
    await redis?.stop();
  });

  async function open(path: string): Promise<TestEventStream> {
    const stream = await openEventStream(server.app, path);
    streams.push(stream);
    return stream;
  }

  it('shows the broker down, the streams refused with 503 and the failed publishes, then the broker up again', async () => {
    expect((await open('/feed/orders')).status).toBe(200);
    expect(await publish('orders')).toBe(201);
    let text = await metrics();
    expect(sampleOf(text, 'sse_broker_up')).toBe(1);
    expect(sampleOf(text, 'sse_broker_state', { state: 'up' })).toBe(1);
    expect(sampleOf(text, 'sse_events_published_total')).toBe(1);
    expect(sampleOf(text, 'sse_broker_publish_duration_seconds_count', { outcome: 'ok' })).toBe(1);

    await redis.stop();
    await brokerState('down');
    text = await metrics();
    expect(sampleOf(text, 'sse_broker_up')).toBe(0);
    expect(sampleOf(text, 'sse_broker_state', { state: 'down' })).toBe(1);
    expect(sampleOf(text, 'sse_broker_state', { state: 'up' })).toBe(0);
    expect(await publish('orders')).toBe(503);
    const refused = await open('/feed/fresh');
    expect(refused.status).toBe(503);
    text = await metrics();
    expect(sampleOf(text, 'sse_refusals_total', { status: '503' })).toBe(1);
    expect(sampleOf(text, 'sse_broker_publish_duration_seconds_count', { outcome: 'error' })).toBe(1);
    // A publish the broker refused is not counted as published.
    expect(sampleOf(text, 'sse_events_published_total')).toBe(1);
    expect(sampleOf(text, 'sse_streams_opened_total')).toBe(1);

    await redis.start();
    await brokerState('up');
    text = await metrics();
    expect(sampleOf(text, 'sse_broker_up')).toBe(1);
    expect(sampleOf(text, 'sse_broker_state', { state: 'up' })).toBe(1);
    expect(await publish('orders')).toBe(201);
    expect(sampleOf(await metrics(), 'sse_events_published_total')).toBe(2);
    expect((await open('/feed/fresh')).status).toBe(200);
  });
});
