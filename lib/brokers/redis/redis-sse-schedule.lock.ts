import type { SseScheduleLock } from '../../schedule/sse-schedule-lock.interface.js';
import type { RedisSseBroker } from './redis-sse.broker.js';
import { RedisSseKeys } from './redis-sse.keys.js';
import { REDIS_SSE_MESSAGES } from './redis-sse.messages.js';

// eslint-disable-next-line no-control-regex
const CONTROL_CHARACTERS = /[\u0000-\u001f\u007f]/;

/**
 * The schedule lock for instances that share a `RedisSseBroker`: each tick of
 * each job is claimed with `SET <prefix>lock:<job>:<tick> NX PX <ttl>` on the
 * broker's command connection, so exactly one instance of the namespace runs
 * it. While Redis is unreachable the claim rejects with
 * `RedisSseUnavailableError` and the scheduler skips the tick (a tick may be
 * lost, never doubled).
 *
 * ```ts
 * const broker = new RedisSseBroker({ url, keyPrefix: 'sse:' });
 * SseModule.forRoot({ broker, scheduleLock: new RedisSseScheduleLock(broker) })
 * ```
 */
export class RedisSseScheduleLock implements SseScheduleLock {
  constructor(private readonly broker: RedisSseBroker) {
    const given = broker as Partial<RedisSseBroker> | null;
    if (typeof given?.withCommandClient !== 'function' || typeof given.keyPrefix !== 'string') {
      throw new TypeError(REDIS_SSE_MESSAGES.lockNeedsBroker(broker));
    }
  }

  /** Resolves to whether this instance took tick `tickKey` of `jobName` (for `ttlMs`). */
  async acquire(jobName: string, tickKey: string, ttlMs: number): Promise<boolean> {
    const name = typeof jobName === 'string' && typeof tickKey === 'string' ? `${jobName}:${tickKey}` : undefined;
    if (name === undefined || name.length > 512 || CONTROL_CHARACTERS.test(name)) {
      throw new TypeError(REDIS_SSE_MESSAGES.invalidLockName(name ?? jobName));
    }
    if (!Number.isSafeInteger(ttlMs) || ttlMs < 1) throw new TypeError(REDIS_SSE_MESSAGES.invalidLockTtl(ttlMs));
    // The broker's prefix now (on a cluster found by `cluster: 'auto'`, with its hash tag).
    const key = new RedisSseKeys(this.broker.keyPrefix).lock(name);
    return this.broker.withCommandClient(`take the lock ${JSON.stringify(name)}`, async (client) => {
      return (await client.set(key, this.broker.instanceId, 'PX', ttlMs, 'NX')) === 'OK';
    });
  }
}
