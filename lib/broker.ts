/**
 * `nestjs-event-stream/broker`: for authors of brokers (the transport and
 * storage under the hub). The interface a broker implements, the types it
 * moves, a helper to page history read channel by channel, the in-memory
 * broker to read as a reference, and the contract suite every broker must pass.
 */
export type {
  SseBroker,
  SseBrokerContext,
  SseBrokerEvent,
  SseBrokerMessage,
  SseBrokerPosition,
  SseBrokerPublishOptions,
  SseBrokerSentMessage,
  SseBrokerStatus,
  SseHistoryPage,
  SseRevocationTarget,
} from './brokers/sse-broker.interface.js';
export {
  isBrokerUnavailable,
  SseBrokerUnavailableError,
  type SseBrokerUnavailableDetails,
} from './brokers/sse-broker-unavailable.error.js';
export { mergeHistoryPages } from './brokers/history-page.js';
export { checkIdempotencyKey, isIdempotencyKey } from './brokers/idempotency-key.js';
export { InMemorySseBroker, type InMemorySseBrokerOptions } from './brokers/in-memory/in-memory-sse.broker.js';
export {
  describeBrokerContract,
  type BrokerContractFactory,
  type BrokerContractOptions,
} from './brokers/testing/broker-contract.js';
/** For a broker's own tests beside the contract: what it delivers, and its history read page by page. */
export { Inbox as BrokerInbox, readAll as readAllPages } from './brokers/testing/contract-kit.js';
