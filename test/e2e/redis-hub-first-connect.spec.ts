import { Redis } from 'ioredis';
import { type TestEventStream, openEventStream } from 'nestjs-event-stream/testing';
import { parseEventId, SseHub } from '../../lib/index.js';
import { RedisSseBroker } from 'nestjs-event-stream/redis';
import { HubController, streamUrl } from '../src/hub/hub-fixture.js';
import { deleteKeys, randomPrefix, REDIS_URL, RedisServer } from '../utils/redis.js';
import { startApp, type TestApp } from '../utils/test-app.js';

/** The first bytes of a fresh hub stream: the `retry:` hint (its value is jittered), then the id-only block. */
const FIRST_BYTES = /^retry: \d+\n\nid: ([a-z0-9]+\.\d+)\n\n/;

async function anchorOf(stream: TestEventStream): Promise<string> {
  const text = await stream.waitForText((received) => FIRST_BYTES.test(received));
  return FIRST_BYTES.exec(text)![1];
}

/** Resumable first connects on RedisSseBroker, two instances in one process, on the shared Redis. */
describe('SseHub on RedisSseBroker: a stream opened without Last-Event-ID', () => {
  const prefix = randomPrefix('redis-hub-first-connect');
  let namespaces = 0;
  const apps: TestApp[] = [];
  const streams: TestEventStream[] = [];

  /** Closes the streams, then the apps (while their Redis still answers: closing on a stopped one waits). */
  async function closeAll(): Promise<void> {
    streams.splice(0).forEach((stream) => stream.close());
    await Promise.all(apps.splice(0).map((app) => app.close()));
  }

  afterEach(closeAll);
  afterAll(() => deleteKeys(REDIS_URL, prefix));

  /** Two instances of an app on one fresh namespace (a key prefix of its own). */
  async function instances(url = REDIS_URL, commandTimeoutMs?: number) {
    const keyPrefix = `${prefix}${++namespaces}:`;
    const start = async () => {
      const broker = new RedisSseBroker({
        url,
        keyPrefix,
        commandTimeoutMs,
        redisOptions: { retryStrategy: () => 50 },
      });
      const app = await startApp({ controllers: [HubController] }, { broker, heartbeatMs: 60_000 });
      apps.push(app);
      return { ...app, hub: app.app.get(SseHub), keyPrefix };
    };
    return Promise.all([start(), start()]);
  }

  async function open(app: TestApp, channels: string[], lastEventId?: string): Promise<TestEventStream> {
    const headers: Record<string, string> = lastEventId === undefined ? {} : { 'last-event-id': lastEventId };
    const stream = await openEventStream(app.app, streamUrl('', channels), { headers });
    streams.push(stream);
    return stream;
  }

  it('starts at the newest position of the namespace and, reconnecting with it on the other instance, gets exactly what was published meanwhile, in order', async () => {
    const [a, b] = await instances();
    await b.hub.publish('r:a', 'before');
    const head = await b.hub.publish('r:elsewhere', 'the newest, of another channel');
    const first = await open(a, ['r:a', 'r:b']);
    expect(await anchorOf(first)).toBe(head);
    first.close();

    const missed = [await b.hub.publish('r:a', 'm1'), await a.hub.publish('r:b', 'm2')];
    await b.hub.publish('r:elsewhere', 'not joined');
    missed.push(await b.hub.publish('r:a', 'm3'));
    const again = await open(b, ['r:a', 'r:b'], head);
    await again.waitForEvents(3);
    const live = await a.hub.publish('r:b', 'live');
    await again.waitForEvents(4);
    // A marker after the last publish: a duplicate would have arrived before it.
    await a.hub.broadcast('marker');
    await again.waitForEvents(5);
    expect(again.events.map((e) => e.id ?? e.data)).toEqual([...missed, live, 'marker']);
    expect(again.events.map((e) => e.data)).toEqual(['m1', 'm2', 'm3', 'live', 'marker']);
    expect(FIRST_BYTES.test(again.text)).toBe(false);
  });

  it('on a namespace with no event yet starts at seq 0 of the epoch it stores, which every later event gets, and resumes every event from there', async () => {
    const [a, b] = await instances();
    const first = await open(a, ['empty']);
    const anchor = await anchorOf(first);
    first.close();
    const [epoch, seq] = anchor.split('.');
    expect(seq).toBe('0');
    const redis = new Redis(REDIS_URL);
    try {
      expect(await redis.get(`${a.keyPrefix}epoch`)).toBe(epoch);
    } finally {
      await redis.quit();
    }

    const published = [await b.hub.publish('empty', 'one'), await a.hub.publish('empty', 'two')];
    expect(published.map((id) => parseEventId(id)!.epoch)).toEqual([epoch, epoch]);
    const again = await open(b, ['empty'], anchor);
    const events = await again.waitForEvents(2);
    expect(events.map((e) => [e.id, e.data])).toEqual([
      [published[0], 'one'],
      [published[1], 'two'],
    ]);
    expect(events.some((e) => e.type === 'sse-reset')).toBe(false);
  });

  it('answers 503 before any stream byte when Redis takes the subscription but does not answer the head read', async () => {
    const server = await RedisServer.start();
    try {
      const [a] = await instances(server.url, 300);
      // Write commands (scripts, PUBLISH) wait; SUBSCRIBE does not: the join completes, the head read times out.
      const pauser = new Redis(server.url);
      await pauser.call('CLIENT', 'PAUSE', '1500', 'WRITE');
      pauser.disconnect();
      const refused = await openEventStream(a.app, streamUrl('', ['stalled']));
      streams.push(refused);
      await refused.ended;
      expect(refused.status).toBe(503);
      expect(refused.text).not.toContain('retry:');
      expect(JSON.parse(refused.text)).toMatchObject({ statusCode: 503, error: 'Service Unavailable' });
      expect(refused.text).not.toContain(String(server.port));
    } finally {
      await closeAll();
      await server.stop();
    }
  });
});
