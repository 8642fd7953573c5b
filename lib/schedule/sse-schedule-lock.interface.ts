/**
 * Decides which instance runs a tick of a scheduled broadcast when several
 * instances of the app run the same jobs. Every tick of every job asks it
 * before calling the producer; only the instance that acquires the tick runs
 * it, and its event reaches every instance through the hub's broker.
 *
 * `InMemorySseScheduleLock` (the default, for one instance) always acquires.
 * Set another with the module option `scheduleLock`: `RedisSseScheduleLock`
 * (`nestjs-event-stream/redis`) claims `(jobName, tickKey)` with an expiring
 * key, so exactly one instance wins each tick.
 */
export interface SseScheduleLock {
  /**
   * Claims tick `tickKey` of job `jobName`. Must resolve to `true` for one
   * caller only among every instance asking for the same `(jobName, tickKey)`
   * within `ttlMs`; after `ttlMs` the claim may be forgotten. `tickKey` is the
   * same on every instance for the same tick (derived from the clock and the
   * schedule), so instances need no coordination beyond this call.
   */
  acquire(jobName: string, tickKey: string, ttlMs: number): Promise<boolean> | boolean;
}
