/**
 * Contender "nestjs-event-stream + Redis": the same app as "nestjs-event-stream", with the hub on
 * RedisSseBroker (positions, history and fan-out through Redis). Uses BENCH_REDIS_URL
 * (default redis://127.0.0.1:6379) and the key prefix `bench:sse:`, whose keys
 * it deletes before it starts; skipped when Redis does not answer.
 */
import { Redis } from 'ioredis';
import { startNestjsSseServer } from './nestjs-event-stream-app.mjs';

const KEY_PREFIX = 'bench:sse:';

async function clearPrefix(url) {
  const redis = new Redis(url, { lazyConnect: true, maxRetriesPerRequest: 1, retryStrategy: () => null });
  redis.on('error', () => undefined);
  try {
    await redis.connect();
    let cursor = '0';
    do {
      const [next, keys] = await redis.scan(cursor, 'MATCH', `${KEY_PREFIX}*`, 'COUNT', 1000);
      if (keys.length > 0) await redis.del(...keys);
      cursor = next;
    } while (cursor !== '0');
    return true;
  } catch {
    return false;
  } finally {
    redis.disconnect();
  }
}

await startNestjsSseServer({
  name: 'nestjs-event-stream + Redis',
  moduleOptions: async (kit) => {
    const url = process.env.BENCH_REDIS_URL ?? 'redis://127.0.0.1:6379';
    if (!(await clearPrefix(url))) {
      kit.skip(`no Redis answers at ${url}`);
      return null;
    }
    const { RedisSseBroker } = await import(process.env.NESTJS_SSE_REDIS_DIST ?? '../../dist/brokers/redis/index.js');
    return { broker: new RedisSseBroker({ url, keyPrefix: KEY_PREFIX, statsIntervalMs: 0 }) };
  },
});
