import { Body, Controller, Param, Post } from '@nestjs/common';
import { Redis } from 'ioredis';
import { type TestEventStream, openEventStream, waitForHub } from 'nestjs-event-stream/testing';
import { EventStream, parseEventId, SseClient, SseHub, sseEvent } from '../../lib/index.js';
import { RedisSseBroker, RedisSseScheduleLock, type RedisSseBrokerOptions } from 'nestjs-event-stream/redis';
import { startApp, type TestApp } from '../utils/test-app.js';
import { deleteKeys, randomPrefix, REDIS_URL, RedisServer } from '../utils/redis.js';

@Controller()
class FeedController {
  constructor(private readonly hub: SseHub) {}

  @EventStream('events/:channel')
  events(@Param('channel') channel: string, @SseClient() client: SseClient) {
    return this.hub.join(client, channel);
  }

  @Post('publish/:channel')
  async publish(@Param('channel') channel: string, @Body() body: { text: string }) {
    return { id: await this.hub.publish(channel, sseEvent({ event: 'message', data: body.text })) };
  }
}

const prefix = randomPrefix('redis-hub');
let namespaces = 0;

/** Polls a condition that no event announces (Redis-side state, a heartbeat) every 20 ms. */
async function eventually<T>(probe: () => Promise<T>, ok: (value: T) => boolean, what: string): Promise<T> {
  const deadline = Date.now() + 8000;
  for (;;) {
    const value = await probe();
    if (ok(value)) return value;
    if (Date.now() > deadline) throw new Error(`timed out waiting for ${what}; last: ${String(value)}`);
    await new Promise((resolve) => setTimeout(resolve, 20));
  }
}

const texts = (stream: TestEventStream) => stream.events.map((e) => e.data);

describe('SseHub on RedisSseBroker (two instances in one process)', () => {
  let redis: Redis;
  const apps: TestApp[] = [];
  const streams: TestEventStream[] = [];

  beforeAll(() => {
    redis = new Redis(REDIS_URL);
  });

  afterEach(async () => {
    streams.splice(0).forEach((stream) => stream.close());
    await Promise.all(apps.splice(0).map((app) => app.close()));
  });

  afterAll(async () => {
    await redis.quit();
    await deleteKeys(REDIS_URL, prefix);
  });

  async function instances(options: Omit<RedisSseBrokerOptions, 'url' | 'keyPrefix'> = {}) {
    const keyPrefix = `${prefix}${++namespaces}:`;
    const start = async (name: string) => {
      const adapter = new RedisSseBroker({
        url: REDIS_URL,
        keyPrefix,
        ...options,
        redisOptions: { connectionName: `${keyPrefix}${name}`, ...options.redisOptions },
      });
      const app = await startApp(
        { controllers: [FeedController] },
        { broker: adapter, scheduleLock: new RedisSseScheduleLock(adapter), heartbeatMs: 60_000 },
      );
      apps.push(app);
      return { ...app, adapter, hub: app.app.get(SseHub), name: `${keyPrefix}${name}` };
    };
    return Promise.all([start('a'), start('b')]);
  }

  async function stream(app: TestApp, channel: string): Promise<TestEventStream> {
    const opened = await openEventStream(app.app, `/events/${channel}`);
    streams.push(opened);
    expect(opened.status).toBe(200);
    return opened;
  }

  it('catches streams up on what their instance missed while its subscriber connection was down, once each, in order', async () => {
    const [a, b] = await instances({ redisOptions: { retryStrategy: () => 300 } });
    const feed = await stream(a, 'feed');
    await b.hub.publish('feed', 'e1');
    await feed.waitForEvents(1);
    // Published while A is subscribed to nothing but `feed`: not for a stream that joins `quiet` after it.
    await b.hub.publish('quiet', 'before the join');
    // A joins `quiet`: once A's sync marker for that subscription has come back, A knows it missed nothing before it.
    const marker = new Redis(REDIS_URL);
    let quiet: TestEventStream;
    try {
      await marker.subscribe(`${a.adapter.keyPrefix}instance:${a.adapter.instanceId}`);
      const synced = new Promise((resolve) => marker.once('message', resolve));
      quiet = await stream(a, 'quiet');
      await synced;
    } finally {
      marker.disconnect();
    }

    const clients = (await redis.client('LIST')) as string;
    const subscriber = clients.split('\n').find((line) => line.includes(`name=${a.name} `) && !/ sub=0 /.test(line));
    await redis.client('KILL', 'ID', /\bid=(\d+)/.exec(subscriber!)![1]);
    // A reconnects after 300 ms: these are published while it cannot receive them.
    await b.hub.publish('feed', 'e2');
    await b.hub.publish('quiet', 'q1');
    await b.hub.publish('feed', 'e3');

    await feed.waitForEvents(3);
    await quiet.waitForEvents(1);
    await b.hub.publish('feed', 'e4');
    await b.hub.publish('quiet', 'q2');
    await feed.waitForEvents(4);
    await quiet.waitForEvents(2);
    expect(texts(feed)).toEqual(['e1', 'e2', 'e3', 'e4']);
    expect(texts(quiet)).toEqual(['q1', 'q2']);
    const seqs = feed.events.map((e) => parseEventId(e.id)!.seq);
    expect(seqs).toEqual([...seqs].sort((x, y) => x - y));
  });

  it('broadcasts, sends to a connection and disconnects it across instances', async () => {
    const [a, b] = await instances();
    const onB = await stream(b, 'room');
    const [connection] = b.hub.connections();
    await a.hub.broadcast(sseEvent({ event: 'notice', data: 'to all' }));
    await a.hub.sendTo(connection.id, sseEvent({ event: 'notice', data: 'to you' }));
    await onB.waitForEvents(2);
    expect(onB.events.map((e) => e.data)).toEqual(['to all', 'to you']);
    expect(await a.hub.disconnect(connection.id)).toBe(0);
    await onB.ended;
    await waitForHub(b.hub, (hub) => hub.count() === 0);
  });

  it('answers 503 to a new stream and keeps open streams while Redis is away', async () => {
    const server = await RedisServer.start();
    try {
      const adapter = new RedisSseBroker({
        url: server.url,
        keyPrefix: `${prefix}down:`,
        commandTimeoutMs: 300,
        redisOptions: { retryStrategy: () => 50 },
      });
      const app = await startApp(
        { controllers: [FeedController] },
        { broker: adapter, scheduleLock: new RedisSseScheduleLock(adapter), heartbeatMs: 60_000 },
      );
      apps.push(app);
      const hub = app.app.get(SseHub);
      const open = await stream(app, 'feed');
      await hub.publish('feed', 'before');
      await open.waitForEvents(1);
      await server.stop();
      await eventually(
        () =>
          hub.publish('feed', 'x').then(
            () => 'published',
            (error: Error) => error.name,
          ),
        (result) => result === 'RedisSseUnavailableError',
        'publish to be refused',
      );
      const refused = await openEventStream(app.app, `/events/other`);
      streams.push(refused);
      expect(refused.status).toBe(503);
      const resumed = await openEventStream(app.app, `/events/feed`, {
        headers: { 'last-event-id': open.events[0].id! },
      });
      streams.push(resumed);
      expect(resumed.status).toBe(503);
      await expect(hub.disconnect('somewhere-else')).rejects.toThrow('Service temporarily unavailable');
      expect(open.text).not.toContain('event: stream-error');
      await server.start();
      await eventually(
        () =>
          hub.publish('feed', 'after').then(
            () => true,
            () => false,
          ),
        (ok) => ok,
        'publish to succeed again',
      );
      await open.waitForEvents(2);
      expect(texts(open)).toEqual(['before', 'after']);
    } finally {
      await server.stop();
    }
  });

  it('counts streams per channel across instances (eventually)', async () => {
    const [a, b] = await instances({ statsIntervalMs: 50 });
    await stream(a, 'room');
    await stream(a, 'room');
    await stream(b, 'room');
    await stream(b, 'lobby');
    // Each instance's heartbeat brings its counts: wait for both.
    const counts = () =>
      Promise.all([a.adapter.clusterCount('room'), b.adapter.clusterCount('lobby'), b.adapter.clusterCount()]);
    expect(await eventually(counts, (n) => n.join() === '3,1,4', 'room 3, lobby 1, all 4')).toEqual([3, 1, 4]);
  });
});
