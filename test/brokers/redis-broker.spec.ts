import { Logger } from '@nestjs/common';
import { Redis } from 'ioredis';
import { describeBrokerContract, type SseBrokerContext } from 'nestjs-event-stream/broker';
import { RedisSseBroker, RedisSseScheduleLock, type RedisSseBrokerOptions } from 'nestjs-event-stream/redis';
import { CaptureLogger } from '../utils/capture-logger.js';
import { deleteKeys, randomPrefix, REDIS_URL } from '../utils/redis.js';
import { eventually, Inbox, readAll } from './broker-inbox.js';

const prefix = randomPrefix('redis-broker');
let namespaces = 0;
/** A fresh namespace under this file's prefix. */
const namespace = () => `${prefix}${++namespaces}:`;

describeBrokerContract(
  'RedisSseBroker',
  (options) => new RedisSseBroker({ url: REDIS_URL, keyPrefix: namespace(), history: { ...options } }),
);

const channelNameError = { name: 'TypeError', message: expect.stringContaining('Invalid SSE channel name') };

describe('RedisSseBroker', () => {
  const open: RedisSseBroker[] = [];
  const clients: Redis[] = [];
  const logs = new CaptureLogger();
  let redis: Redis;

  beforeAll(() => {
    Logger.overrideLogger(logs);
    redis = new Redis(REDIS_URL);
    clients.push(redis);
  });

  afterEach(async () => {
    await Promise.all(open.splice(0).map((broker) => broker.close()));
  });

  afterAll(async () => {
    await Promise.all(clients.map((client) => client.quit().catch(() => client.disconnect())));
    await deleteKeys(REDIS_URL, prefix);
  });

  async function connected(
    options: RedisSseBrokerOptions = {},
    context?: SseBrokerContext,
  ): Promise<{ broker: RedisSseBroker; inbox: Inbox }> {
    const broker = new RedisSseBroker({ url: REDIS_URL, keyPrefix: namespace(), ...options });
    open.push(broker);
    const inbox = new Inbox(broker);
    await broker.connect(context);
    return { broker, inbox };
  }

  describe('options', () => {
    it('refuses url and client together, a bad key prefix, bad history sizes and a bad hold bound, naming the option', () => {
      expect(() => new RedisSseBroker({ url: REDIS_URL, client: redis })).toThrow('either `url`');
      expect(() => new RedisSseBroker({ keyPrefix: 'sse *' })).toThrow('option "RedisSseBroker keyPrefix"');
      expect(() => new RedisSseBroker({ keyPrefix: '' })).toThrow('option "RedisSseBroker keyPrefix"');
      expect(() => new RedisSseBroker({ history: { maxEvents: -1 } })).toThrow(
        'option "RedisSseBroker history.maxEvents" must be an integer >= 0, got number -1',
      );
      expect(() => new RedisSseBroker({ history: { idleTtlMs: 0 } })).toThrow(
        'option "RedisSseBroker history.idleTtlMs"',
      );
      expect(() => new RedisSseBroker({ maxHeldMessages: 0 })).toThrow('option "RedisSseBroker maxHeldMessages"');
      expect(() => new RedisSseBroker({ maxHeldMessages: 1.5 })).toThrow('option "RedisSseBroker maxHeldMessages"');
      expect(() => new RedisSseBroker({ commandTimeoutMs: 0 })).toThrow('option "RedisSseBroker commandTimeoutMs"');
      expect(() => new RedisSseBroker({ client: {} as Redis })).toThrow('option "RedisSseBroker client"');
    });

    it('refuses a schedule lock on anything but a broker', () => {
      expect(() => new RedisSseScheduleLock({} as RedisSseBroker)).toThrow(
        "new RedisSseScheduleLock(broker) takes the app's RedisSseBroker, got a plain object",
      );
    });
  });

  describe('across instances', () => {
    it('delivers events published on either instance to both, exactly once each, in seq order', async () => {
      const keyPrefix = namespace();
      const a = await connected({ keyPrefix });
      const b = await connected({ keyPrefix });
      await a.broker.subscribe('room');
      await b.broker.subscribe('room');
      const positions = await Promise.all(
        Array.from({ length: 40 }, (_, i) => (i % 2 ? a : b).broker.publish('room', `${i}`)),
      );
      const sorted = positions.map((p) => p.seq).sort((x, y) => x - y);
      const marker = await a.broker.publish('room', 'marker');
      await a.inbox.until(() => a.inbox.seqs('room').includes(marker.seq), 'A to get the marker');
      await b.inbox.until(() => b.inbox.seqs('room').includes(marker.seq), 'B to get the marker');
      expect(a.inbox.seqs('room')).toEqual([...sorted, marker.seq]);
      expect(b.inbox.seqs('room')).toEqual([...sorted, marker.seq]);
      expect(new Set(positions.map((p) => p.epoch))).toEqual(new Set([marker.epoch]));
    });

    it('delivers broadcasts, targeted sends and disconnects to every instance', async () => {
      const keyPrefix = namespace();
      const a = await connected({ keyPrefix });
      const b = await connected({ keyPrefix });
      await a.broker.send({ type: 'user', userId: '7', payload: 'data: hi\n\n' });
      await a.broker.send({ type: 'disconnect', connectionId: 'c-1' });
      for (const { inbox } of [a, b]) {
        await inbox.until(() => inbox.messages.length === 2, 'both messages');
        expect(inbox.messages).toEqual([
          { type: 'user', userId: '7', payload: 'data: hi\n\n' },
          { type: 'disconnect', connectionId: 'c-1' },
        ]);
      }
    });

    it('keeps the sequence and the history across a restart of the app (a new broker on the same prefix)', async () => {
      const keyPrefix = namespace();
      const first = await connected({ keyPrefix });
      const before = await first.broker.publish('news', '1');
      const kept = await first.broker.publish('news', '2');
      await first.broker.close();
      const second = await connected({ keyPrefix });
      const after = await second.broker.publish('news', '3');
      expect(after).toEqual({ epoch: before.epoch, seq: kept.seq + 1 });
      expect(await second.broker.read(['news'], before, 10)).toEqual({
        events: [
          { channel: 'news', ...kept, payload: '2' },
          { channel: 'news', ...after, payload: '3' },
        ],
        more: false,
        head: after,
      });
    });

    it('uses one command and one subscriber connection per instance, whatever the number of channels', async () => {
      const connectionName = `sse-test-${Math.random().toString(36).slice(2)}`;
      const { broker } = await connected({ redisOptions: { connectionName } });
      await Promise.all(Array.from({ length: 30 }, (_, i) => broker.subscribe(`channel-${i}`)));
      const list = (await redis.client('LIST')) as string;
      expect(list.split('\n').filter((line) => line.includes(`name=${connectionName} `))).toHaveLength(2);
    });
  });

  describe('history in Redis', () => {
    it('stores the payload as given, with no SSE syntax added', async () => {
      const { broker } = await connected();
      const position = await broker.publish('plain', 'data: x\n\n');
      const [[, fields]] = await redis.xrange(`${broker.keyPrefix}history:plain`, '-', '+');
      expect(fields.slice(0, 2)).toEqual(['p', 'data: x\n\n']);
      expect((await broker.read(['plain'], { ...position, seq: 0 }, 1)).events[0].payload).toBe('data: x\n\n');
    });

    it("says 'expired' for a channel whose idle history expired, and not for a position after the loss", async () => {
      const { broker } = await connected({ history: { idleTtlMs: 1000 } });
      const before = await broker.publish('elsewhere', '0');
      const lost = await broker.publish('idle', '1');
      await eventually(
        () => redis.exists(`${broker.keyPrefix}history:idle`),
        (n) => n === 0,
        'the history to expire',
      );
      const head = await broker.publish('other', '2');
      // The client saw `before` but not `lost`, which expired with its channel's history: no silent gap.
      expect(await broker.read(['idle'], before, 10)).toEqual({ events: [], more: false, reset: 'expired', head });
      // A client that saw `lost` missed nothing of that channel.
      expect(await broker.read(['idle'], lost, 10)).toEqual({ events: [], more: false, head });
    });

    it("drops events older than maxAgeMs and says 'expired' for a position before them", async () => {
      const { broker } = await connected({ history: { maxAgeMs: 1000 } });
      const first = await broker.publish('aging', '1');
      const second = await broker.publish('aging', '2');
      const fresh = await broker.read(['aging'], first, 10);
      expect(fresh.events.map((e) => e.seq)).toEqual([second.seq]);
      expect(fresh.reset).toBeUndefined();
      const aged = await eventually(
        () => broker.read(['aging'], first, 10),
        (page) => page.reset === 'expired',
        'the events to age out',
      );
      expect(aged.events).toEqual([]);
    });

    it("skips the entries older than maxAgeMs that no publish has trimmed yet, says 'expired', and pages on from the young ones", async () => {
      const { broker } = await connected({ history: { maxAgeMs: 300, idleTtlMs: 60_000 } });
      const old = await Promise.all(Array.from({ length: 300 }, (_, i) => broker.publish('backlog', `old ${i}`)));
      const before = { epoch: old[0].epoch, seq: old[0].seq - 1 };
      await eventually(
        () => broker.read(['backlog'], before, 10),
        (page) => page.reset === 'expired' && page.events.length === 0,
        'the backlog to age out',
      );
      // One publish trims at most 64 aged entries: most of the backlog is still in the stream.
      const young = [];
      for (let i = 0; i < 3; i++) young.push(await broker.publish('backlog', `young ${i}`));
      expect(await redis.xlen(`${broker.keyPrefix}history:backlog`)).toBeGreaterThan(100);
      const walked = await readAll(broker, ['backlog'], before, 2);
      expect(walked.seqs).toEqual(young.map((p) => p.seq));
      expect(walked.payloads).toEqual(['young 0', 'young 1', 'young 2']);
      expect(walked.pageSizes).toEqual([2, 1]);
      expect(walked.resets).toEqual(['expired']);
    });

    it('keeps history per channel within maxEvents, exactly', async () => {
      const { broker } = await connected({ history: { maxEvents: 5 } });
      for (let i = 0; i < 20; i++) await broker.publish(i % 2 ? 'odd' : 'even', `${i}`);
      expect(await redis.xlen(`${broker.keyPrefix}history:odd`)).toBe(5);
      expect(await redis.xlen(`${broker.keyPrefix}history:even`)).toBe(5);
    });

    it('never returns more than a bounded page: 5,000 events read with limit 100 come in pages of 100, all of them, in order', async () => {
      const { broker } = await connected({ history: { maxEvents: 5000 } });
      const channels = ['big:a', 'big:b', 'big:c'];
      const published = await Promise.all(
        Array.from({ length: 5000 }, (_, i) => broker.publish(channels[i % 3], `${i}`)),
      );
      const before = { epoch: published[0].epoch, seq: 0 };
      const walked = await readAll(broker, channels, before, 100);
      expect(Math.max(...walked.pageSizes)).toBe(100);
      expect(walked.pageSizes).toHaveLength(50);
      expect(walked.seqs).toEqual(published.map((p) => p.seq).sort((x, y) => x - y));
      expect(walked.resets).toEqual([]);
    });
  });

  describe('bad input', () => {
    it('checks channel names, positions, limits, payloads and messages before anything reaches Redis', async () => {
      const { broker } = await connected();
      const lock = new RedisSseScheduleLock(broker);
      await expect(broker.publish('room *', 'x')).rejects.toMatchObject(channelNameError);
      await expect(broker.subscribe('room:*')).rejects.toMatchObject(channelNameError);
      await expect(broker.subscribe('a b')).rejects.toMatchObject(channelNameError);
      await expect(broker.read(['ok', 'x?y'], { epoch: 'abc', seq: 1 }, 10)).rejects.toMatchObject(channelNameError);
      await expect(broker.read(['ok'], { epoch: 'ABC*', seq: 1 }, 10)).rejects.toThrow('position');
      await expect(broker.read(['ok'], { epoch: 'abc', seq: -1 }, 10)).rejects.toThrow('position');
      for (const limit of [0, 10_001, 1.5, '10', undefined]) {
        await expect(broker.read(['ok'], { epoch: 'abc', seq: 1 }, limit as number)).rejects.toThrow(
          new TypeError(
            `nestjs-event-stream: RedisSseBroker.read(): limit must be an integer from 1 to 10000, got ${
              typeof limit === 'string' ? `"${limit}"` : limit === undefined ? 'undefined' : `number ${limit}`
            }. Read a long history page by page, from the position of the last event returned.`,
          ),
        );
      }
      await expect(broker.publish('ok', 'x', { except: 'c-1\nforged' })).rejects.toThrow('"except"');
      await expect(broker.publish('ok', 'x', 'c-1' as never)).rejects.toThrow('options must be an object');
      await expect(broker.publish('ok', 'x', { idempotencyKey: '' })).rejects.toThrow('idempotencyKey must be');
      await expect(broker.publish('ok', 42 as unknown as string)).rejects.toThrow('payload must be a string');
      await expect(broker.send({ type: 'eval', payload: 'x' } as never)).rejects.toThrow('not a broadcast');
      await expect(broker.send({ type: 'broadcast', frame: 'x' } as never)).rejects.toThrow('not a broadcast');
      await expect(lock.acquire('', '', 1000)).resolves.toBe(true);
      await expect(lock.acquire('job\r\n', 'tick', 1000)).rejects.toThrow('job name and tick key');
      await expect(lock.acquire('job', 'tick', 0)).rejects.toThrow('ttlMs');
      await expect(broker.clusterCount('*')).rejects.toMatchObject(channelNameError);
      expect((await redis.keys(`${broker.keyPrefix}*`)).sort()).toEqual(
        [`${broker.keyPrefix}epoch`, `${broker.keyPrefix}lock::`].sort(),
      );
    });

    it('subscribes to exact channel names, never to patterns', async () => {
      const { broker } = await connected();
      await broker.subscribe('room:1');
      await broker.subscribe('feed/a.b@c');
      const channels = await redis.pubsub('CHANNELS', `${broker.keyPrefix}*`);
      expect([...(channels as string[])].sort()).toEqual(
        [
          `${broker.keyPrefix}channel:feed/a.b@c`,
          `${broker.keyPrefix}channel:room:1`,
          `${broker.keyPrefix}control`,
          `${broker.keyPrefix}instance:${broker.instanceId}`,
        ].sort(),
      );
      expect(await redis.pubsub('NUMPAT')).toBe(0);
    });

    it('ignores malformed messages on its Pub/Sub channels, with a warning, and goes on delivering', async () => {
      const { broker, inbox } = await connected();
      await broker.subscribe('room');
      logs.clear();
      await redis.publish(`${broker.keyPrefix}control`, '{"type":"broadcast","frame":"old"}');
      await redis.publish(`${broker.keyPrefix}control`, 'not json');
      await redis.publish(`${broker.keyPrefix}channel:room`, 'x\ny');
      await redis.publish(`${broker.keyPrefix}instance:${broker.instanceId}`, 'nope');
      const position = await broker.publish('room', 'fine');
      await inbox.until(() => inbox.seqs('room').includes(position.seq), 'the valid event');
      expect(inbox.messages).toEqual([{ type: 'channel', channel: 'room', ...position, payload: 'fine' }]);
      expect(logs.messages('warn', 'Ignored a malformed message')).toHaveLength(4);
    });
  });

  describe('cluster features', () => {
    it('grants each scheduled tick to one instance only, through RedisSseScheduleLock', async () => {
      const keyPrefix = namespace();
      const instances = await Promise.all([
        connected({ keyPrefix }),
        connected({ keyPrefix }),
        connected({ keyPrefix }),
      ]);
      const locks = instances.map(({ broker }) => new RedisSseScheduleLock(broker));
      const claims = await Promise.all(locks.map((lock) => lock.acquire('clock', '2024-01-01T00:00:01Z', 5000)));
      expect(claims.filter(Boolean)).toHaveLength(1);
      const next = await Promise.all(locks.map((lock) => lock.acquire('clock', '2024-01-01T00:00:02Z', 5000)));
      expect(next.filter(Boolean)).toHaveLength(1);
      expect(await redis.pttl(`${keyPrefix}lock:clock:2024-01-01T00:00:01Z`)).toBeGreaterThan(0);
      expect(instances.map(({ broker }) => broker)).not.toContainEqual(
        expect.objectContaining({ lock: expect.anything() }),
      );
    });

    it('counts streams per channel across instances from their localCounts, and forgets an instance that closed', async () => {
      const keyPrefix = namespace();
      const counts = (connections: number, channels: [string, number][]): SseBrokerContext => ({
        localCounts: () => ({ connections, channels: new Map(channels) }),
      });
      const a = await connected(
        { keyPrefix, statsIntervalMs: 50 },
        counts(3, [
          ['room', 2],
          ['news', 1],
        ]),
      );
      await connected({ keyPrefix, statsIntervalMs: 50 }, counts(4, [['room', 4]]));
      await eventually(
        () => a.broker.clusterCount('room'),
        (n) => n === 6,
        'both instances to be counted',
      );
      expect(await a.broker.clusterCount()).toBe(7);
      expect(await a.broker.clusterCount('news')).toBe(1);
      expect(await a.broker.clusterCount('nobody-here')).toBe(0);
      await open.pop()!.close();
      expect(await a.broker.clusterCount('room')).toBe(2);
    });
  });

  describe('with a client of the app', () => {
    it('runs on the given ioredis client, duplicates it for subscribing, and leaves it open on close', async () => {
      const client = new Redis(REDIS_URL);
      clients.push(client);
      const broker = new RedisSseBroker({ client, keyPrefix: namespace() });
      const inbox = new Inbox(broker);
      await broker.connect();
      await broker.subscribe('mine');
      const position = await broker.publish('mine', 'x');
      await inbox.until(() => inbox.seqs('mine').includes(position.seq), 'the event');
      const listeners = client.listenerCount('error');
      await broker.close();
      expect(inbox.completed).toBe(true);
      expect(client.status).toBe('ready');
      expect(client.listenerCount('error')).toBe(listeners - 1);
      expect(await client.ping()).toBe('PONG');
    });
  });

  describe('before connect() and after close()', () => {
    it('rejects operations with errors that say what to do', async () => {
      const broker = new RedisSseBroker({ url: REDIS_URL, keyPrefix: namespace() });
      await expect(broker.publish('a', 'x')).rejects.toThrow(
        'RedisSseBroker cannot publish to channel "a" before connect()',
      );
      await broker.close();
      await expect(broker.publish('a', 'x')).rejects.toThrow('it was closed');
      await expect(broker.connect()).rejects.toThrow('it was closed');
    });
  });
});
