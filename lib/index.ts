/**
 * `nestjs-event-stream`: what app authors use. Broker authors have their own
 * entry point, `nestjs-event-stream/broker`; the brokers are
 * `nestjs-event-stream/redis`, `nestjs-event-stream/postgres` and
 * `nestjs-event-stream/nats`. Nothing internal is exported.
 */

// The module and its options.
export { SseModule } from './sse.module.js';
export type { SseModuleOptions, SseOptionsFactory } from './options/sse-module-options.interface.js';
export type { SseHistoryOptions, SseHubOptions } from './options/sse-module-options.interface.js';

// Streams: one request, one stream.
export { EventStream, type EventStreamOptions } from './stream/event-stream.decorator.js';
export { SseClient } from './stream/sse-client.decorator.js';
export type { SseStreamOptions, SseFrameErrorPolicy } from './stream/sse-stream-options.interface.js';
export type { SseCloseReason, SseRequest } from './stream/sse-client.interface.js';
export type { SseEndData, SseEndReason } from './protocol/final-word.js';
export type { SseLifecycleEvent } from './stream/sse-lifecycle.interface.js';

// The wire: events, framing, ids and channel names (pure).
export { sseEvent, isSseEvent, SseEvent, type SseEventInit } from './protocol/sse-event.js';
export {
  sseEventsOf,
  type SseEventMap,
  type SseEventName,
  type SseTypedEventFactory,
} from './protocol/sse-event-map.js';
export { encodeEvent, encodeComment, encodeRetry } from './protocol/encode-event.js';
export { jsonSerializer, type SseSerializer } from './protocol/sse-serializer.js';
export { SseFrameError, type SseFrameField } from './protocol/sse-frame.error.js';
export { parseEventId, formatEventId, type HubEventPosition } from './protocol/event-id.js';
export { isChannelName, MAX_CHANNEL_NAME_LENGTH } from './protocol/channel-name.js';
export { SseChannelNameError, assertChannelName } from './hub/sse-channel-name.error.js';

// The hub: channels, targeted sends, replay.
export { SseHub } from './hub/sse-hub.js';
export type {
  SseConnectionFilter,
  SseExcept,
  SseHubStats,
  SseRefusalStatus,
  SseRevocation,
  SsePublishOptions,
  SseJoinOptions,
} from './hub/sse-hub.interface.js';
export type { SseChannelAuthorizer } from './hub/sse-channel-authorizer.interface.js';
export type { SseInstrumentation, SsePublishedInfo, SseStreamClosedInfo } from './stream/sse-instrumentation.js';
export { SSE_CHANNEL_AUTHORIZER } from './sse.constants.js';
export type { SseBroker, SseBrokerStatus } from './brokers/sse-broker.interface.js';
export {
  isBrokerUnavailable,
  SseBrokerUnavailableError,
  type SseBrokerUnavailableDetails,
} from './brokers/sse-broker-unavailable.error.js';

// Stream authentication.
export { SseAuthGuard, isSseAuthResult, type SseUnauthorizedReason } from './auth/sse-auth.guard.js';
export { StaticTokenVerifier } from './auth/static-token.verifier.js';
export {
  JwtTokenVerifier,
  type JwtTokenVerifierOptions,
  type SseJwtAlgorithm,
  type SseJwtPayload,
  type SseJwtServiceLike,
} from './auth/jwt-token.verifier.js';
export { MAX_TOKEN_LENGTH } from './auth/token-sources.js';
export type { SseAuthOptions, SseCanJoinFunction, SseTokenSource } from './auth/sse-auth-options.interface.js';
export { SseTickets, type SseTicketIssueOptions, type SseTicketRecord } from './auth/sse-tickets.js';
export { InMemorySseTicketStore, type InMemorySseTicketStoreOptions } from './auth/in-memory-sse-ticket.store.js';
export type { SseTicketStore } from './auth/sse-ticket-store.interface.js';
export type { SseTicketOptions } from './auth/sse-ticket-options.interface.js';
export type {
  SseAuthResult,
  SseTokenVerifier,
  SseVerifyFunction,
  SseVerifyResult,
} from './auth/sse-token-verifier.interface.js';

// Scheduled broadcasts.
export { Broadcast } from './schedule/broadcast.decorator.js';
export { SseScheduler } from './schedule/sse-scheduler.js';
export { InMemorySseScheduleLock } from './schedule/in-memory-sse-schedule.lock.js';
export type { SseScheduleLock } from './schedule/sse-schedule-lock.interface.js';
export type {
  BroadcastOptions,
  SseBroadcastProducer,
  SseScheduleOptions,
  SseScheduleTrigger,
} from './schedule/sse-schedule.interface.js';

// Resumable runs: work that outlives its connection, recorded through the broker.
export { SseRunsModule } from './runs/sse-runs.module.js';
export {
  SseRuns,
  type SseRunHandle,
  type SseRunListenOptions,
  type SseRunLookup,
  type SseRunStartOptions,
} from './runs/sse-runs.js';
export { RunStream, type RunStreamOptions } from './runs/run-stream.decorator.js';
export type { SseRunsModuleOptions, SseRunsOptionsFactory } from './runs/sse-runs-options.interface.js';
export type { SseRunContext, SseRunProducer } from './runs/run-source.js';
export type { SseRunError, SseRunOutcome } from './runs/run-records.js';
export type {
  SseRunEncoder,
  SseRunInfo,
  SseRunInterruption,
  SseRunPreset,
} from './presets/sse-run-preset.interface.js';
export { sseRunEvents } from './presets/sse-run-events.preset.js';
export { openAiChatCompletions, type OpenAiChatCompletionsOptions } from './presets/openai-chat-completions.preset.js';
export { aiSdkUiMessageStream, type AiSdkUiMessageStreamOptions } from './presets/ai-sdk-ui-message-stream.preset.js';
