/**
 * `nestjs-event-stream/postgres`: the PostgreSQL broker and its schedule
 * lock, on their own entry point so that apps on other brokers never load pg.
 */
export { PostgresSseBroker } from './postgres-sse.broker.js';
export type { PostgresSseBrokerOptions, PostgresSseHistoryOptions } from './postgres-sse-broker-options.interface.js';
export { PostgresSseScheduleLock } from './postgres-sse-schedule.lock.js';
export { PostgresSseUnavailableError, type PostgresSseUnavailableDetails } from './postgres-sse-unavailable.error.js';
export { postgresSseSchemaSql } from './postgres-sse.schema.js';
