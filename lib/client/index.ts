/**
 * `nestjs-event-stream/client`: a typed Server-Sent Events client on `fetch`,
 * for browsers (plain ES modules, no bundler needed) and Node. It imports
 * nothing but its own files and the package's event-stream parser.
 */
export { EventStreamClient } from './event-stream-client.js';
export { connectEventStream } from './connect-event-stream.js';
export type {
  EventStreamClientOptions,
  EventStreamDecode,
  EventStreamFetch,
  EventStreamHeaders,
} from './client-options.js';
export type {
  EventStreamClosed,
  EventStreamCloseReason,
  EventStreamListener,
  EventStreamMessage,
  EventStreamMessageOf,
  EventStreamReset,
  EventStreamResetEvent,
  EventStreamState,
  EventStreamStateChange,
} from './client-types.js';
export { EventStreamError, type EventStreamErrorCode, type EventStreamErrorInit } from './event-stream.error.js';
export type { BackoffSettings } from './backoff.js';
export { decideOnFinalWord, decideOnResponse, type FinalWordDecision, type ResponseDecision } from './stop-rules.js';
export type { SseEventMap, SseEventName } from '../protocol/sse-event-map.js';
export type { SseEndData, SseEndReason } from '../protocol/final-word.js';
