import type { SseScheduleLock } from '../../schedule/sse-schedule-lock.interface.js';

/** What the lock needs of the adapter. */
export interface RedisLockTaker {
  acquireLock(name: string, ttlMs: number): Promise<boolean>;
}

/**
 * The schedule lock of `RedisSseAdapter` (`adapter.lock`): each tick of each
 * job is claimed with `SET <prefix>lock:<job>:<tick> NX PX <ttl>`, so exactly
 * one instance of the namespace runs it. While Redis is unreachable the claim
 * rejects and the scheduler skips the tick (a tick may be lost, never doubled).
 */
export class RedisSseScheduleLock implements SseScheduleLock {
  constructor(private readonly adapter: RedisLockTaker) {}

  acquire(jobName: string, tickKey: string, ttlMs: number): Promise<boolean> {
    return this.adapter.acquireLock(`${jobName}:${tickKey}`, ttlMs);
  }
}
