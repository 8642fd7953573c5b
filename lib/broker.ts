/**
 * `nestjs-event-stream/broker`: for authors of brokers (what moves events
 * between instances and stores their history).
 */
export type {
  SseBroker,
  SseBrokerContext,
  SseBrokerEvent,
  SseBrokerMessage,
  SseBrokerPosition,
  SseBrokerSentMessage,
  SseHistoryPage,
} from './brokers/sse-broker.interface.js';
export { mergeHistoryPages } from './brokers/history-page.js';
export { InMemorySseBroker, type InMemorySseBrokerOptions } from './brokers/in-memory/in-memory-sse.broker.js';
