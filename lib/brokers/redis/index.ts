/**
 * `nestjs-event-stream/redis`: the Redis hub adapter, on its own entry point so that
 * apps on the in-memory adapter never load ioredis.
 */
export { RedisSseAdapter } from './redis-sse.broker.js';
export type { RedisSseAdapterOptions, RedisSseHistoryOptions } from './redis-sse-adapter-options.interface.js';
export { RedisSseUnavailableError } from './redis-sse-unavailable.error.js';
export { RedisSseScheduleLock } from './redis-sse-schedule.lock.js';
