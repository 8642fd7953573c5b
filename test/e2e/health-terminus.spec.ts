import { openEventStream, waitForHub, type TestEventStream } from 'nestjs-event-stream/testing';
import { RedisSseBroker } from 'nestjs-event-stream/redis';
import { InMemorySseBroker } from 'nestjs-event-stream/broker';
import { SseHub } from 'nestjs-event-stream';
import { SseHealthIndicator } from 'nestjs-event-stream/terminus';
import { startHealthApp } from '../src/health/health-fixture.js';
import { ShutdownGate } from '../src/health/shutdown-gate.js';
import { CaptureLogger } from '../utils/capture-logger.js';
import { randomPrefix, RedisServer } from '../utils/redis.js';
import type { TestApp } from '../utils/test-app.js';

interface Answer {
  status: number;
  body: {
    status: string;
    info?: Record<string, Record<string, unknown>>;
    error?: Record<string, Record<string, unknown>>;
    details: Record<string, Record<string, unknown>>;
  };
}

async function get(url: string): Promise<Answer> {
  const response = await fetch(url);
  return { status: response.status, body: (await response.json()) as Answer['body'] };
}

/** Polls `url` (a probe's view: nothing announces a state change to an HTTP client) until `ok`, for at most 10 s. */
async function probeUntil(url: string, ok: (answer: Answer) => boolean, what: string): Promise<Answer> {
  const deadline = Date.now() + 10_000;
  for (;;) {
    const answer = await get(url);
    if (ok(answer)) return answer;
    if (Date.now() > deadline) throw new Error(`timed out waiting for ${what}; last: ${JSON.stringify(answer)}`);
    await new Promise((resolve) => setTimeout(resolve, 25));
  }
}

/**
 * `SseHealthIndicator` behind terminus routes, as a load balancer and an
 * orchestrator probe them: readiness follows the broker's link (a private
 * Redis, killed and started again), liveness does not.
 */
describe('SseHealthIndicator (@nestjs/terminus)', () => {
  const apps: TestApp[] = [];
  const streams: TestEventStream[] = [];

  afterEach(async () => {
    streams.splice(0).forEach((stream) => stream.close());
    await Promise.all(apps.splice(0).map((app) => app.close()));
  });

  describe('on the in-memory broker (the default)', () => {
    it('is always ready and live, with the broker up and the open streams and channels in the details', async () => {
      const app = await startHealthApp();
      apps.push(app);
      const stream = await openEventStream(app.app, '/events/news');
      streams.push(stream);
      await waitForHub(app.app.get(SseHub), (hub) => hub.count('news') === 1);

      const ready = await get(`${app.url}/health/ready`);
      expect(ready.status).toBe(200);
      expect(ready.body).toMatchObject({
        status: 'ok',
        info: { sse: { status: 'up', broker: 'up', connections: 1, channels: 1, since: expect.any(String) } },
        error: {},
      });
      expect(new Date(ready.body.info!.sse.since as string).getTime()).toBeLessThanOrEqual(Date.now());
      const live = await get(`${app.url}/health/live`);
      expect(live).toEqual({
        status: 200,
        body: { status: 'ok', info: { sse: { status: 'up', connections: 1 } }, error: {}, details: expect.any(Object) },
      });
    });

    it('reports under the key it is given', async () => {
      const app = await startHealthApp();
      apps.push(app);
      const answer = await get(`${app.url}/health/streams`);
      expect(answer.status).toBe(200);
      expect(answer.body.info).toEqual({ streams: expect.objectContaining({ status: 'up', broker: 'up' }) });
    });

    it('is not ready once the app is shutting down, while the server still answers', async () => {
      const app = await startHealthApp({}, [ShutdownGate]);
      const gate = app.app.get(ShutdownGate);
      const stream = await openEventStream(app.app, '/events/news');
      streams.push(stream);
      expect((await get(`${app.url}/health/ready`)).status).toBe(200);

      const closing = app.close();
      await gate.reached.promise;
      const ready = await get(`${app.url}/health/ready`);
      expect(ready.status).toBe(503);
      expect(ready.body.error).toEqual({
        sse: expect.objectContaining({
          status: 'down',
          broker: 'up',
          shuttingDown: true,
          message: expect.stringMatching(/shutting down/),
        }),
      });
      // The indicator's liveness stays up (terminus itself answers every check with 503 once it is shutting down).
      expect(app.app.get(SseHealthIndicator).isLive()).toEqual({
        sse: { status: 'up', connections: expect.any(Number) },
      });
      gate.release();
      await closing;
      await stream.waitForEnd();
    });
  });

  describe('on a broker of its own', () => {
    /** An in-memory broker whose `status` is replaced (a custom broker without one, or a faulty one). */
    function brokerWith(status: unknown): InMemorySseBroker {
      return Object.assign(new InMemorySseBroker(), { status });
    }

    it('is ready, with the broker up and no since, on a broker without status()', async () => {
      const app = await startHealthApp({ broker: brokerWith(undefined) });
      apps.push(app);
      const ready = await get(`${app.url}/health/ready`);
      expect(ready.status).toBe(200);
      expect(ready.body.info).toEqual({ sse: { status: 'up', broker: 'up', connections: 0, channels: 0 } });
    });

    it('answers 503 (not 500) when status() throws, keeps liveness up, and leaves out a since that is not a time', async () => {
      const faulty = brokerWith(() => {
        throw new Error('status exploded');
      });
      const app = await startHealthApp({ broker: faulty });
      apps.push(app);
      const down = await get(`${app.url}/health/ready`);
      expect(down.status).toBe(503);
      expect(down.body.error!.sse).toMatchObject({
        status: 'down',
        broker: 'down',
        detail: "The broker's status() threw: status exploded.",
      });
      expect((await get(`${app.url}/health/live`)).status).toBe(200);
      faulty.status = () => ({ state: 'up', since: NaN });
      const ready = await get(`${app.url}/health/ready`);
      expect(ready.status).toBe(200);
      expect(ready.body.info).toEqual({ sse: { status: 'up', broker: 'up', connections: 0, channels: 0 } });
    });

    it('leaves the detail out with { detail: false }, keeping the state', async () => {
      const app = await startHealthApp({
        broker: brokerWith(() => ({
          state: 'down',
          since: Date.now(),
          detail: 'No connection to Redis at 10.0.0.7:6379',
        })),
      });
      apps.push(app);
      const full = await get(`${app.url}/health/ready`);
      expect(full.body.error!.sse).toMatchObject({ broker: 'down', detail: expect.stringContaining('10.0.0.7') });
      const open = await get(`${app.url}/health/public`);
      expect(open.status).toBe(503);
      expect(open.body.error!.sse).toMatchObject({ status: 'down', broker: 'down', since: expect.any(String) });
      expect(JSON.stringify(open.body)).not.toContain('10.0.0.7');
    });
  });

  describe('on RedisSseBroker with a private Redis', () => {
    let server: RedisServer;
    let stopped = false;
    const logs = new CaptureLogger();
    const prefix = randomPrefix('health-terminus');

    beforeAll(async () => {
      server = await RedisServer.start();
    });

    afterEach(async () => {
      if (stopped) await server.start();
      stopped = false;
      logs.clear();
    });

    afterAll(() => server.stop());

    it('flips readiness to 503 with the broker down while Redis is stopped, liveness staying 200, and back once it restarts', async () => {
      const broker = new RedisSseBroker({ url: server.url, keyPrefix: prefix, commandTimeoutMs: 500 });
      const app = await startHealthApp({ broker });
      app.app.useLogger(logs);
      apps.push(app);
      const stream = await openEventStream(app.app, '/events/orders');
      streams.push(stream);
      expect(stream.status).toBe(200);
      await waitForHub(app.app.get(SseHub), (hub) => hub.count('orders') === 1);

      const ready = await get(`${app.url}/health/ready`);
      expect(ready.status).toBe(200);
      expect(ready.body.info).toEqual({
        sse: { status: 'up', broker: 'up', since: expect.any(String), connections: 1, channels: 1 },
      });

      stopped = true;
      await server.stop();
      const down = await probeUntil(`${app.url}/health/ready`, (answer) => answer.status === 503, 'readiness to fail');
      expect(down.body).toMatchObject({
        status: 'error',
        error: {
          sse: {
            status: 'down',
            broker: 'down',
            detail: expect.stringContaining(`Redis at 127.0.0.1:${server.port}`),
            message: expect.stringContaining('cannot serve joins'),
            connections: 1,
            channels: 1,
          },
        },
      });
      // Never a secret in the body: the detail names host and port only.
      expect(JSON.stringify(down.body)).not.toContain('redis://');
      // Liveness does not follow the broker: no restart storm on a Redis blip. The open stream stays open.
      const live = await get(`${app.url}/health/live`);
      expect(live.status).toBe(200);
      expect(live.body.info).toEqual({ sse: { status: 'up', connections: 1 } });

      await server.start();
      stopped = false;
      const back = await probeUntil(`${app.url}/health/ready`, (answer) => answer.status === 200, 'readiness to pass');
      // Up again, or still resyncing (served: joins wait for the resubscription, then succeed).
      expect(back.body.info!.sse).toMatchObject({ status: 'up', broker: expect.stringMatching(/^(up|resyncing)$/) });
      await logs.waitFor('log', 'Reconnected to Redis');
      expect((await get(`${app.url}/health/ready`)).body.info!.sse).toMatchObject({ broker: 'up', connections: 1 });
      // And it serves joins again.
      const again = await openEventStream(app.app, '/events/orders');
      streams.push(again);
      expect(again.status).toBe(200);
    });
  });
});
