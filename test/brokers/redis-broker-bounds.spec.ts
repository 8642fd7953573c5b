import { Redis } from 'ioredis';
import { RedisSseBroker, type RedisSseBrokerOptions } from 'nestjs-event-stream/redis';
import { runBounded } from '../utils/wait.js';
import { deleteKeys, randomPrefix, REDIS_URL } from '../utils/redis.js';
import { eventually } from './broker-inbox.js';

const HOUR_MS = 3_600_000;

/** What one namespace holds in Redis: the bounds of issue 14 are about keys, bytes and TTLs. */
describe('RedisSseBroker history bounds in Redis', () => {
  const prefix = randomPrefix('redis-bounds');
  let namespaces = 0;
  const open: RedisSseBroker[] = [];
  let redis: Redis;

  beforeAll(() => {
    redis = new Redis(REDIS_URL);
  });

  afterEach(async () => {
    await Promise.all(open.splice(0).map((broker) => broker.close()));
  });

  afterAll(async () => {
    await redis.quit();
    await deleteKeys(REDIS_URL, prefix);
  });

  async function connected(options: RedisSseBrokerOptions = {}): Promise<RedisSseBroker> {
    const broker = new RedisSseBroker({ url: REDIS_URL, keyPrefix: `${prefix}${++namespaces}:`, ...options });
    open.push(broker);
    await broker.connect();
    return broker;
  }

  /** Every key of the broker's namespace. */
  async function keysOf(broker: RedisSseBroker): Promise<string[]> {
    const keys: string[] = [];
    let cursor = '0';
    do {
      const [next, batch] = await redis.scan(cursor, 'MATCH', `${broker.keyPrefix}*`, 'COUNT', 1000);
      cursor = next;
      keys.push(...batch);
    } while (cursor !== '0');
    return keys;
  }

  /** The payload bytes each history of the namespace holds, by channel. */
  async function historyBytes(broker: RedisSseBroker): Promise<Map<string, number>> {
    const bytes = new Map<string, number>();
    const histories = (await keysOf(broker)).filter((key) => key.startsWith(`${broker.keyPrefix}history:`));
    for (const key of histories) {
      const entries = await redis.xrange(key, '-', '+');
      const total = entries.reduce((sum, [, fields]) => sum + Buffer.byteLength(fields[1]), 0);
      bytes.set(key.slice(`${broker.keyPrefix}history:`.length), total);
    }
    return bytes;
  }

  it('keeps the history of at most maxChannels channels: 3,000 posts to distinct rooms leave 1,000 histories and a bounded number of keys', async () => {
    const broker = await connected({ history: { maxChannels: 1000 } });
    await runBounded(3000, 50, async (i) => {
      await broker.publish(`room:${i}`, `post ${i}`);
    });
    const keys = await keysOf(broker);
    const histories = keys.filter((key) => key.startsWith(`${broker.keyPrefix}history:`));
    expect(histories).toHaveLength(1000);
    // A history, and at most one more key per channel (what a resume needs to know of what it dropped).
    expect(keys.length).toBeLessThanOrEqual(2 * 1000 + 10);
    // The rooms kept are the ones published to last.
    const kept = new Set(histories.map((key) => Number(key.slice(key.lastIndexOf(':') + 1))));
    expect([...kept].every((i) => i >= 1900)).toBe(true);
  });

  it('lets every key but the epoch and the sequence expire within the idle TTL, 1 hour by default', async () => {
    const broker = await connected();
    for (let i = 0; i < 20; i++) await broker.publish(`room:${i % 4}`, `${i}`, { idempotencyKey: `k${i}` });
    const keys = await keysOf(broker);
    const durable = [`${broker.keyPrefix}epoch`, `${broker.keyPrefix}seq`];
    expect(keys).toEqual(expect.arrayContaining(durable));
    for (const key of keys.filter((k) => !durable.includes(k))) {
      const ttl = await redis.pttl(key);
      expect([key, ttl > 0 && ttl <= HOUR_MS]).toEqual([key, true]);
    }
    expect(await redis.pttl(`${broker.keyPrefix}history:room:0`)).toBeGreaterThan(HOUR_MS - 60_000);
  });

  it('keeps each channel within maxChannelBytes and all of them within maxBytes, dropping the channels published to least recently', async () => {
    const broker = await connected({ history: { maxChannelBytes: 20_000, maxBytes: 100_000 } });
    // 20 rooms, one after the other, 10 events of 3,000 bytes each.
    for (let i = 0; i < 200; i++) await broker.publish(`room:${Math.floor(i / 10)}`, `${i}:`.padEnd(3000, 'x'));
    const bytes = await historyBytes(broker);
    // Each room keeps its 6 newest events (18,000 bytes); 100,000 bytes hold the 5 rooms published to last.
    expect([...bytes.keys()].sort()).toEqual(['room:15', 'room:16', 'room:17', 'room:18', 'room:19']);
    expect([...bytes.values()]).toEqual([18_000, 18_000, 18_000, 18_000, 18_000]);
  });

  it('keeps counting the bytes right when idle histories expire, so that the budget holds new channels', async () => {
    const broker = await connected({ history: { idleTtlMs: 300, maxBytes: 10_000 } });
    for (let i = 0; i < 5; i++) await broker.publish(`idle:${i}`, 'x'.repeat(1500));
    // Publishing meanwhile keeps the namespace alive while the idle histories expire one by one.
    await eventually(
      async () => {
        await broker.publish('busy', '.');
        return [...(await historyBytes(broker)).keys()].filter((channel) => channel.startsWith('idle:')).length;
      },
      (n) => n === 0,
      'the idle histories to expire',
    );
    // Had the expired bytes stayed counted, these would evict each other down to two or three channels.
    for (let i = 0; i < 6; i++) await broker.publish(`fresh:${i}`, 'x'.repeat(1500));
    expect([...(await historyBytes(broker)).keys()].filter((channel) => channel.startsWith('fresh:'))).toHaveLength(6);
  });

  it("says 'expired' for a resume past an idle history that expired, also once its channel has events again", async () => {
    const broker = await connected({ history: { idleTtlMs: 300 } });
    const seen = await broker.publish('idle', 'seen');
    await broker.publish('idle', 'missed, then expired');
    await eventually(
      async () => {
        await broker.publish('busy', '.');
        return redis.exists(`${broker.keyPrefix}history:idle`);
      },
      (n) => n === 0,
      'the idle history to expire',
    );
    const again = await broker.publish('idle', 'again');
    const page = await broker.read(['idle'], seen, 10);
    expect(page.reset).toBe('expired');
    expect(page.events.map((e) => e.seq)).toEqual([again.seq]);
  });

  it('refuses bad channel caps, byte budgets and idempotency windows, naming the option', () => {
    const cases: [RedisSseBrokerOptions, string][] = [
      [{ history: { maxChannels: 0 } }, 'history.maxChannels'],
      [{ history: { maxChannelBytes: 0 } }, 'history.maxChannelBytes'],
      [{ history: { maxBytes: 1.5 } }, 'history.maxBytes'],
      [{ idempotencyTtlMs: 0 }, 'idempotencyTtlMs'],
      [{ maxIdempotencyKeys: -1 }, 'maxIdempotencyKeys'],
    ];
    for (const [options, name] of cases) {
      expect(() => new RedisSseBroker(options)).toThrow(`option "RedisSseBroker ${name}" must be an integer >= 1`);
    }
  });

  it('forgets an idempotency key after idempotencyTtlMs: a publish with it then is a new one', async () => {
    const broker = await connected({ idempotencyTtlMs: 200 });
    const first = await broker.publish('room', 'x', { idempotencyKey: 'k' });
    expect(await broker.publish('room', 'x', { idempotencyKey: 'k' })).toEqual(first);
    const later = await eventually(
      () => broker.publish('room', 'x', { idempotencyKey: 'k' }),
      (position) => position.seq !== first.seq,
      'the key to be forgotten',
    );
    expect(later.seq).toBeGreaterThan(first.seq);
  });

  it('keeps at most maxIdempotencyKeys keys, forgetting the oldest', async () => {
    const broker = await connected({ maxIdempotencyKeys: 3 });
    const first = await broker.publish('room', '0', { idempotencyKey: 'k0' });
    for (let i = 1; i < 4; i++) await broker.publish('room', `${i}`, { idempotencyKey: `k${i}` });
    const again = await broker.publish('room', '0', { idempotencyKey: 'k0' });
    expect(again.seq).toBeGreaterThan(first.seq);
    const kept = await broker.publish('room', '3', { idempotencyKey: 'k3' });
    expect(kept.seq).toBeLessThan(again.seq);
  });
});
