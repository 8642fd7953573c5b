import { Logger } from '@nestjs/common';
import { Redis } from 'ioredis';
import { parseEventId, SseChannelNameError, type SseHubAdapterHooks, type SseHubMessage } from '../../lib/index.js';
import { RedisSseAdapter, RedisSseUnavailableError, type RedisSseAdapterOptions } from 'nestjs-event-stream/redis';
import { deleteKeys, randomPrefix, REDIS_URL, RedisServer } from '../utils/redis.js';
import { CaptureLogger } from '../utils/capture-logger.js';
import { describeHubAdapterContract } from './hub-adapter.contract.js';

const prefix = randomPrefix('redis-adapter');
let namespaces = 0;
/** A fresh namespace under this file's prefix. */
const namespace = () => `${prefix}${++namespaces}:`;

describeHubAdapterContract(
  'RedisSseAdapter',
  (options) =>
    new RedisSseAdapter({ url: REDIS_URL, keyPrefix: namespace(), history: { maxEvents: options?.maxEvents } }),
);

/** Records deliveries and lets a test await them. */
class Inbox {
  readonly messages: SseHubMessage[] = [];
  readonly resyncs: { epoch: string; seq: number }[] = [];
  private readonly waiters = new Set<() => void>();
  readonly deliver = (message: SseHubMessage) => {
    this.messages.push(message);
    this.notify();
  };
  readonly hooks: SseHubAdapterHooks = {
    resync: (after) => {
      this.resyncs.push(after);
      this.notify();
    },
  };

  ids(channel: string): string[] {
    return this.messages.flatMap((m) => (m.type === 'channel' && m.channel === channel ? [m.id] : []));
  }

  until(predicate: () => boolean, what: string, timeoutMs = 8000): Promise<void> {
    return new Promise((resolve, reject) => {
      const check = () => {
        if (!predicate()) return;
        this.waiters.delete(check);
        clearTimeout(timer);
        resolve();
      };
      const timer = setTimeout(() => {
        this.waiters.delete(check);
        reject(new Error(`timed out waiting for ${what}; got ${JSON.stringify(this.messages.slice(-5))}`));
      }, timeoutMs);
      this.waiters.add(check);
      check();
    });
  }

  private notify() {
    for (const check of [...this.waiters]) check();
  }
}

/** Polls `probe` (a Redis-side condition that no event signals) every 20 ms until it holds. */
async function eventually<T>(
  probe: () => Promise<T>,
  ok: (value: T) => boolean,
  what: string,
  timeoutMs = 8000,
): Promise<T> {
  const deadline = Date.now() + timeoutMs;
  for (;;) {
    const value = await probe().catch((error: unknown) => error as T);
    if (ok(value)) return value;
    if (Date.now() > deadline) throw new Error(`timed out waiting for ${what}; last: ${String(value)}`);
    await new Promise((resolve) => setTimeout(resolve, 20));
  }
}

describe('RedisSseAdapter', () => {
  const open: RedisSseAdapter[] = [];
  const clients: Redis[] = [];
  const logs = new CaptureLogger();
  let redis: Redis;

  beforeAll(() => {
    Logger.overrideLogger(logs);
    redis = new Redis(REDIS_URL);
    clients.push(redis);
  });

  afterEach(async () => {
    await Promise.all(open.splice(0).map((adapter) => adapter.close()));
  });

  afterAll(async () => {
    await Promise.all(clients.map((client) => client.quit().catch(() => client.disconnect())));
    await deleteKeys(REDIS_URL, prefix);
  });

  async function connected(
    options: RedisSseAdapterOptions = {},
    hooks?: SseHubAdapterHooks,
  ): Promise<{ adapter: RedisSseAdapter; inbox: Inbox }> {
    const adapter = new RedisSseAdapter({ url: REDIS_URL, keyPrefix: namespace(), ...options });
    open.push(adapter);
    const inbox = new Inbox();
    await adapter.connect(inbox.deliver, hooks ?? inbox.hooks);
    return { adapter, inbox };
  }

  const body = (text: string) => `data: ${text}\n\n`;

  describe('options', () => {
    it('refuses url and client together, a bad key prefix and bad history sizes, naming the option', () => {
      expect(() => new RedisSseAdapter({ url: REDIS_URL, client: redis })).toThrow('either `url`');
      expect(() => new RedisSseAdapter({ keyPrefix: 'sse *' })).toThrow('option "keyPrefix"');
      expect(() => new RedisSseAdapter({ keyPrefix: '' })).toThrow('option "keyPrefix"');
      expect(() => new RedisSseAdapter({ history: { maxEvents: -1 } })).toThrow('option "history.maxEvents"');
      expect(() => new RedisSseAdapter({ history: { idleTtlMs: 0 } })).toThrow('option "history.idleTtlMs"');
      expect(() => new RedisSseAdapter({ client: {} as Redis })).toThrow('option "client"');
    });
  });

  describe('across instances', () => {
    it('delivers events published on either instance to both, exactly once each, in id order', async () => {
      const keyPrefix = namespace();
      const a = await connected({ keyPrefix });
      const b = await connected({ keyPrefix });
      await a.adapter.subscribe('room');
      await b.adapter.subscribe('room');
      const ids = await Promise.all(
        Array.from({ length: 40 }, (_, i) => (i % 2 ? a : b).adapter.publish('room', body(`${i}`))),
      );
      const sorted = [...ids].sort((x, y) => parseEventId(x)!.seq - parseEventId(y)!.seq);
      await a.inbox.until(() => a.inbox.ids('room').length >= 40, 'A to get 40 events');
      await b.inbox.until(() => b.inbox.ids('room').length >= 40, 'B to get 40 events');
      const marker = await a.adapter.publish('room', body('marker'));
      await b.inbox.until(() => b.inbox.ids('room').includes(marker), 'the marker');
      await a.inbox.until(() => a.inbox.ids('room').includes(marker), 'the marker');
      expect(a.inbox.ids('room')).toEqual([...sorted, marker]);
      expect(b.inbox.ids('room')).toEqual([...sorted, marker]);
    });

    it('delivers broadcasts, targeted sends and disconnects to every instance', async () => {
      const keyPrefix = namespace();
      const a = await connected({ keyPrefix });
      const b = await connected({ keyPrefix });
      await a.adapter.send({ type: 'user', userId: '7', frame: body('hi') });
      await a.adapter.send({ type: 'disconnect', connectionId: 'c-1' });
      for (const { inbox } of [a, b]) {
        await inbox.until(() => inbox.messages.length === 2, 'both messages');
        expect(inbox.messages).toEqual([
          { type: 'user', userId: '7', frame: body('hi') },
          { type: 'disconnect', connectionId: 'c-1' },
        ]);
      }
    });

    it('keeps the sequence and the history across a restart of the app (a new adapter on the same prefix)', async () => {
      const keyPrefix = namespace();
      const first = await connected({ keyPrefix });
      const before = await first.adapter.publish('news', body('1'));
      const kept = await first.adapter.publish('news', body('2'));
      await first.adapter.close();
      const second = await connected({ keyPrefix });
      const after = await second.adapter.publish('news', body('3'));
      expect(parseEventId(after)!.epoch).toBe(parseEventId(before)!.epoch);
      expect(parseEventId(after)!.seq).toBe(parseEventId(kept)!.seq + 1);
      const replay = await second.adapter.replay(['news'], parseEventId(before)!);
      expect(replay).toEqual({
        events: [
          { channel: 'news', seq: parseEventId(kept)!.seq, id: kept, frame: `id: ${kept}\n${body('2')}` },
          { channel: 'news', seq: parseEventId(after)!.seq, id: after, frame: `id: ${after}\n${body('3')}` },
        ],
        headId: after,
      });
    });

    it('uses one command and one subscriber connection per instance, whatever the number of channels', async () => {
      const connectionName = `sse-test-${Math.random().toString(36).slice(2)}`;
      const { adapter } = await connected({ redisOptions: { connectionName } });
      await Promise.all(Array.from({ length: 30 }, (_, i) => adapter.subscribe(`channel-${i}`)));
      const list = (await redis.client('LIST')) as string;
      expect(list.split('\n').filter((line) => line.includes(`name=${connectionName} `))).toHaveLength(2);
    });
  });

  describe('history in Redis', () => {
    it("says 'expired' for a channel whose idle history expired, and not for a position after the loss", async () => {
      const { adapter } = await connected({ history: { idleTtlMs: 1000 } });
      const before = await adapter.publish('elsewhere', body('0'));
      const lost = await adapter.publish('idle', body('1'));
      await eventually(
        () => redis.exists(`${adapter.keyPrefix}history:idle`),
        (n) => n === 0,
        'the history to expire',
      );
      const head = await adapter.publish('other', body('2'));
      // The client saw `before` but not `lost`, which expired with its channel's history: no silent gap.
      expect(await adapter.replay(['idle'], parseEventId(before)!)).toEqual({
        events: [],
        reset: 'expired',
        headId: head,
      });
      // A client that saw `lost` missed nothing of that channel.
      expect(await adapter.replay(['idle'], parseEventId(lost)!)).toEqual({ events: [], headId: head });
    });

    it("drops events older than maxAgeMs and says 'expired' for a position before them", async () => {
      const { adapter } = await connected({ history: { maxAgeMs: 1000 } });
      const first = await adapter.publish('aging', body('1'));
      const second = await adapter.publish('aging', body('2'));
      const fresh = await adapter.replay(['aging'], parseEventId(first)!);
      expect(fresh.events.map((e) => e.id)).toEqual([second]);
      expect(fresh.reset).toBeUndefined();
      const aged = await eventually(
        () => adapter.replay(['aging'], parseEventId(first)!),
        (replay) => replay.reset === 'expired',
        'the events to age out',
      );
      expect(aged.events).toEqual([]);
    });

    it('keeps history per channel within maxEvents, exactly', async () => {
      const { adapter } = await connected({ history: { maxEvents: 5 } });
      for (let i = 0; i < 20; i++) await adapter.publish(i % 2 ? 'odd' : 'even', body(`${i}`));
      expect(await redis.xlen(`${adapter.keyPrefix}history:odd`)).toBe(5);
      expect(await redis.xlen(`${adapter.keyPrefix}history:even`)).toBe(5);
    });
  });

  describe('bad input', () => {
    it('checks channel names, positions, ids and lock names before anything reaches Redis', async () => {
      const { adapter } = await connected();
      await expect(adapter.publish('room *', body('x'))).rejects.toBeInstanceOf(SseChannelNameError);
      await expect(adapter.subscribe('room:*')).rejects.toBeInstanceOf(SseChannelNameError);
      await expect(adapter.subscribe('a b')).rejects.toBeInstanceOf(SseChannelNameError);
      await expect(adapter.replay(['ok', 'x?y'], { epoch: 'abc', seq: 1 })).rejects.toBeInstanceOf(SseChannelNameError);
      await expect(adapter.replay(['ok'], { epoch: 'ABC*', seq: 1 })).rejects.toThrow('position');
      await expect(adapter.replay(['ok'], { epoch: 'abc', seq: -1 })).rejects.toThrow('position');
      await expect(adapter.publish('ok', body('x'), 'c-1\nforged')).rejects.toThrow('"except"');
      await expect(adapter.send({ type: 'eval', frame: 'x' } as never)).rejects.toThrow('not a broadcast');
      await expect(adapter.acquireLock('', 1000)).rejects.toThrow('lock name');
      await expect(adapter.acquireLock('job\r\n', 1000)).rejects.toThrow('lock name');
      await expect(adapter.clusterCount('*')).rejects.toBeInstanceOf(SseChannelNameError);
      expect(await redis.keys(`${adapter.keyPrefix}*`)).toEqual([`${adapter.keyPrefix}epoch`]);
    });

    it('subscribes to exact channel names, never to patterns', async () => {
      const { adapter } = await connected();
      await adapter.subscribe('room:1');
      await adapter.subscribe('feed/a.b@c');
      const channels = await redis.pubsub('CHANNELS', `${adapter.keyPrefix}*`);
      expect([...(channels as string[])].sort()).toEqual(
        [
          `${adapter.keyPrefix}channel:feed/a.b@c`,
          `${adapter.keyPrefix}channel:room:1`,
          `${adapter.keyPrefix}control`,
          `${adapter.keyPrefix}instance:${adapter.instanceId}`,
        ].sort(),
      );
      expect(await redis.pubsub('NUMPAT')).toBe(0);
    });
  });

  describe('cluster features', () => {
    it('grants a lock (and each scheduled tick) to one instance only', async () => {
      const keyPrefix = namespace();
      const instances = await Promise.all([
        connected({ keyPrefix }),
        connected({ keyPrefix }),
        connected({ keyPrefix }),
      ]);
      const claims = await Promise.all(
        instances.map(({ adapter }) => adapter.lock.acquire('clock', '2024-01-01T00:00:01Z', 5000)),
      );
      expect(claims.filter(Boolean)).toHaveLength(1);
      const next = await Promise.all(
        instances.map(({ adapter }) => adapter.lock.acquire('clock', '2024-01-01T00:00:02Z', 5000)),
      );
      expect(next.filter(Boolean)).toHaveLength(1);
      expect(await redis.pttl(`${keyPrefix}lock:clock:2024-01-01T00:00:01Z`)).toBeGreaterThan(0);
    });

    it('counts streams per channel across instances, and forgets an instance that closed', async () => {
      const keyPrefix = namespace();
      const counts = (connections: number, channels: [string, number][]) => ({
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
        () => a.adapter.clusterCount('room'),
        (n) => n === 6,
        'both instances to be counted',
      );
      expect(await a.adapter.clusterCount()).toBe(7);
      expect(await a.adapter.clusterCount('news')).toBe(1);
      expect(await a.adapter.clusterCount('nobody-here')).toBe(0);
      await open.pop()!.close();
      expect(await a.adapter.clusterCount('room')).toBe(2);
    });
  });

  describe('with a client of the app', () => {
    it('runs on the given ioredis client, duplicates it for subscribing, and leaves it open on close', async () => {
      const client = new Redis(REDIS_URL);
      clients.push(client);
      const adapter = new RedisSseAdapter({ client, keyPrefix: namespace() });
      const inbox = new Inbox();
      await adapter.connect(inbox.deliver);
      await adapter.subscribe('mine');
      const id = await adapter.publish('mine', body('x'));
      await inbox.until(() => inbox.ids('mine').includes(id), 'the event');
      const listeners = client.listenerCount('error');
      await adapter.close();
      expect(client.status).toBe('ready');
      expect(client.listenerCount('error')).toBe(listeners - 1);
      expect(await client.ping()).toBe('PONG');
    });
  });

  describe('when Redis goes away', () => {
    let server: RedisServer;

    beforeAll(async () => {
      server = await RedisServer.start();
    });

    afterAll(() => server.stop());

    it('rejects publish at once with a clear error, then resubscribes and asks the hub to catch up once Redis is back', async () => {
      const fast: RedisSseAdapterOptions = { url: server.url, redisOptions: { retryStrategy: () => 50 } };
      const keyPrefix = namespace();
      const listener = await connected({ ...fast, keyPrefix });
      const publisher = await connected({ ...fast, keyPrefix });
      await listener.adapter.subscribe('live');
      const first = await publisher.adapter.publish('live', body('1'));
      await listener.inbox.until(() => listener.inbox.ids('live').includes(first), 'the first event');

      logs.clear();
      await server.stop();
      const started = Date.now();
      const error = await eventually<unknown>(
        () => publisher.adapter.publish('live', body('lost')),
        (result) => result instanceof RedisSseUnavailableError,
        'publish to reject',
      );
      expect(Date.now() - started).toBeLessThan(2000);
      expect((error as Error).message).toMatch(
        /^RedisSseAdapter: Redis at 127\.0\.0\.1:\d+ is unavailable \(.+\); could not publish to channel "live"\./,
      );
      expect((error as RedisSseUnavailableError).getStatus()).toBe(503);

      await server.start();
      // The first publish that succeeds after the restart may beat the listener's resubscription:
      // the catch-up (resync from the start of Redis's new epoch) must not lose it.
      const recovered = await eventually(
        () => publisher.adapter.publish('live', body('2')),
        (id) => typeof id === 'string',
        'publish to succeed again',
      );
      await listener.inbox.until(() => listener.inbox.resyncs.length === 1, 'the resync');
      const after = listener.inbox.resyncs[0];
      expect(after.epoch).toBe(parseEventId(recovered)!.epoch);
      expect(after.epoch).not.toBe(parseEventId(first)!.epoch);
      expect(after.seq).toBe(0);
      const replay = await listener.adapter.replay(['live'], after);
      const live = listener.inbox.ids('live');
      expect([...replay.events.map((e) => e.id), ...live.filter((id) => id !== first)]).toContain(recovered);
      const third = await publisher.adapter.publish('live', body('3'));
      await listener.inbox.until(() => listener.inbox.ids('live').includes(third), 'an event after recovery');
      // Each adapter said once that the connection was lost and once that it is back, whatever was tried meanwhile.
      await logs.waitFor('log', 'Reconnected to Redis');
      await eventually(
        async () => logs.messages('log', 'Reconnected to Redis').length,
        (n) => n === 2,
        'both to reconnect',
      );
      expect(logs.messages('error', 'No connection to Redis at')).toHaveLength(2);
      expect(logs.entries.filter((e) => e.level === 'error' || e.level === 'warn')).toHaveLength(2);
    });
  });
});
