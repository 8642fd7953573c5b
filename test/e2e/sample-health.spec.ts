import { SseHub } from 'nestjs-event-stream';
import { StatsReadings } from '../../sample/src/stats/stats-readings.js';
import { randomPrefix, RedisServer } from '../utils/redis.js';
import { openEventStream, waitForConnections } from 'nestjs-event-stream/testing';
import { callSample, startSample, type Answer, type RunningSample } from '../utils/sample-app.js';
import { bearer, SAMPLE_SUITE_ENV, useSample } from '../utils/sample-suite.js';

const ENV = SAMPLE_SUITE_ENV;

describe('the sample app: health and stats', () => {
  const suite = useSample();
  const { call, stream, post } = suite;

  describe('GET /health', () => {
    /** The hub's numbers of a terminus result: under `info.hub`. */
    const hubOf = (answer: Answer) => (answer.json() as { info: { hub: Record<string, number> } }).info.hub;

    it("is a terminus readiness check with the hub's numbers", async () => {
      // The server has seen every stream close (clients close asynchronously).
      await waitForConnections(suite.sample.app.get(SseHub), 0);
      const answer = await call('/health');
      expect(answer.status).toBe(200);
      expect(answer.json()).toMatchObject({
        status: 'ok',
        info: { sse: { status: 'up', broker: 'up', connections: 0, channels: 0 }, hub: { status: 'up' } },
        error: {},
      });
      const before = hubOf(answer);
      expect(before).toMatchObject({ broker: 'memory', connections: 0, channels: 0 });
      const ticks = await stream('/ticks');
      const room = await stream('/rooms/health/events', { headers: bearer() });
      await ticks.waitForEvents(1);
      await post('health', 'counted');
      await room.waitForEvents(1);
      const after = hubOf(await call('/health'));
      expect(after).toMatchObject({ connections: 2, channels: 2 });
      expect(after.eventsPublished).toBeGreaterThanOrEqual(before.eventsPublished + 2);
      expect(after.delivered).toBeGreaterThan(before.delivered);
      for (const key of ['dropped', 'slowClientDisconnects', 'jobs']) expect(typeof after[key]).toBe('number');
    });

    it('answers /health/ready and /health/live for probes', async () => {
      const ready = await call('/health/ready');
      expect(ready.status).toBe(200);
      expect(ready.json()).toMatchObject({ status: 'ok', info: { sse: { status: 'up', broker: 'up' } } });
      const live = await call('/health/live');
      expect(live.status).toBe(200);
      expect(live.json()).toMatchObject({ status: 'ok', info: { sse: { status: 'up' } } });
    });
  });

  describe('GET /stats/events', () => {
    it("sends the hub's numbers as a stats event every second, with events per second from the counters", async () => {
      const stats = await stream('/stats/events');
      expect(stats.status).toBe(200);
      const first = await stats.next('stats');
      expect(first.data).toMatchObject({
        streams: expect.any(Number),
        eventsPerSecond: 0,
        dropped: expect.any(Number),
        slowClientDisconnects: expect.any(Number),
        broker: { state: 'up' },
      });
      const room = await stream('/rooms/stats/events', { headers: bearer() });
      for (let i = 0; i < 3; i++) await post('stats', `busy ${i}`);
      await room.waitForEvents(3);
      // A snapshot whose second saw the posts (and the ticker's publishes): a rate above 0, the room stream counted.
      let busy: { eventsPerSecond: number; streams: number } | undefined;
      for (let i = 0; i < 5 && !busy; i++) {
        const data = (await stats.next('stats')).data as { eventsPerSecond: number; streams: number };
        if (data.eventsPerSecond > 0) busy = data;
      }
      expect(busy).toMatchObject({ eventsPerSecond: expect.any(Number), streams: expect.any(Number) });
      expect(busy!.streams).toBeGreaterThanOrEqual(2);
    });
  });

  describe('GET /stats/events, shared', () => {
    interface Snapshot {
      at: string;
      broker: Record<string, unknown>;
    }

    it('sends every stream the same snapshots, from one reading a second, the broker without its detail', async () => {
      const one = await stream('/stats/events');
      await one.next('stats');
      const two = await stream('/stats/events');
      // The one joining gets the last snapshot at once, then both get the same ones.
      await two.next('stats');
      const [a, b] = await Promise.all([one.next('stats'), two.next('stats')]);
      expect((b.data as Snapshot).at).toBe((a.data as Snapshot).at);
      expect(Object.keys((a.data as Snapshot).broker)).toEqual(['state']);
    });

    it('keeps one timer however many watch, and none once the last one is gone', () => {
      const timers = () => process.getActiveResourcesInfo().filter((type) => type === 'Timeout').length;
      const before = timers();
      const readings = new StatsReadings(suite.sample.app.get(SseHub));
      const watching = [readings.snapshots$.subscribe(), readings.snapshots$.subscribe()];
      expect(timers()).toBe(before + 1);
      watching.forEach((subscription) => subscription.unsubscribe());
      expect(timers()).toBe(before);
    });
  });
});

/** The sample on a private Redis, stopped: its public routes say the broker is down, never where Redis is. */
describe('the sample app on Redis: health and stats while Redis is stopped', () => {
  let server: RedisServer;
  let sample: RunningSample;
  let stopped = false;

  beforeAll(async () => {
    server = await RedisServer.start();
    sample = await startSample({ ...ENV, SSE_REDIS_URL: server.url, SSE_REDIS_PREFIX: randomPrefix('sample-health') });
  });

  afterAll(async () => {
    if (stopped) await server.start();
    await sample?.app.close();
    await server?.stop();
  });

  it('answers 503 with the broker down and without its detail (the address of Redis), also on /stats/events', async () => {
    const stats = await openEventStream(sample.app, '/stats/events');
    try {
      await stats.next('stats');
      stopped = true;
      await server.stop();
      const deadline = Date.now() + 10_000;
      let ready = await callSample(sample, '/health/ready');
      while (ready.status !== 503 && Date.now() < deadline) {
        await new Promise((resolve) => setTimeout(resolve, 25));
        ready = await callSample(sample, '/health/ready');
      }
      expect(ready.status).toBe(503);
      expect(ready.json()).toMatchObject({ error: { sse: { status: 'down', broker: 'down' } } });
      const health = await callSample(sample, '/health');
      expect(health.status).toBe(503);
      let down = (await stats.next('stats')).data as { broker: { state: string } };
      while (down.broker.state !== 'down') down = (await stats.next('stats')).data as typeof down;
      expect(down.broker).toEqual({ state: 'down' });
      for (const text of [ready.text, health.text, stats.text]) {
        expect(text).not.toContain(`127.0.0.1:${server.port}`);
        expect(text).not.toContain('"detail"');
      }
    } finally {
      stats.close();
    }
  });
});
