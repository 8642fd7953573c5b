/**
 * `nestjs-event-stream/nats`: the NATS JetStream broker and its schedule
 * lock, on their own entry point so that apps on other brokers never load
 * the `nats` package.
 */
export { NatsSseBroker } from './nats-sse.broker.js';
export type { NatsSseBrokerOptions, NatsSseHistoryOptions } from './nats-sse-broker-options.interface.js';
export { NatsSseScheduleLock } from './nats-sse-schedule.lock.js';
export { NatsSseUnavailableError, type NatsSseUnavailableDetails } from './nats-sse-unavailable.error.js';
