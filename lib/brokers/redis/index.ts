/**
 * `nestjs-event-stream/redis`: the Redis broker and its schedule lock, on
 * their own entry point so that apps on the in-memory broker never load ioredis.
 */
export { RedisSseBroker } from './redis-sse.broker.js';
export type { RedisSseBrokerOptions, RedisSseHistoryOptions } from './redis-sse-broker-options.interface.js';
export type { RedisSseClient } from './redis-sse-pubsub.js';
export { RedisSseScheduleLock } from './redis-sse-schedule.lock.js';
export { RedisSseUnavailableError, type RedisSseUnavailableDetails } from './redis-sse-unavailable.error.js';
export { RedisSseTicketStore, type RedisSseTicketStoreOptions } from './redis-sse-ticket.store.js';
