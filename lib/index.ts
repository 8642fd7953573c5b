export { SseModule } from './sse.module.js';
export { SSE_MODULE_OPTIONS } from './sse.module-definition.js';
export type { SseModuleOptions, SseOptionsFactory } from './options/sse-module-options.interface.js';
export type {
  SseStreamOptions,
  ResolvedSseStreamOptions,
  SseFrameErrorPolicy,
} from './stream/sse-stream-options.interface.js';
export type { SseCloseReason, SseRequest } from './stream/sse-client.interface.js';
export { EventStream, type EventStreamOptions } from './stream/event-stream.decorator.js';
export { SseClient } from './stream/sse-client.decorator.js';
export { sseEvent, isSseEvent, SseEvent, type SseEventInit } from './protocol/sse-event.js';
export { encodeEvent, encodeComment, encodeRetry } from './protocol/encode-event.js';
export { jsonSerializer, type SseSerializer } from './protocol/sse-serializer.js';
export { SseFrameError, type SseFrameField } from './protocol/sse-frame.error.js';
export { SseConnectionRegistry } from './stream/sse-stream-registry.js';
export { EventStreamInterceptor } from './stream/event-stream.interceptor.js';
export { SseHub } from './hub/sse-hub.js';
export { isChannelName, assertChannelName, MAX_CHANNEL_NAME_LENGTH } from './protocol/channel-name.js';
export { parseEventId, formatEventId, type HubEventPosition } from './protocol/event-id.js';
export { SseChannelNameError } from './protocol/sse-channel-name.error.js';
export { InMemorySseAdapter, type InMemorySseAdapterOptions } from './brokers/in-memory/in-memory-sse.broker.js';
export type {
  SseHubAdapter,
  SseHubAdapterHooks,
  SseHubMessage,
  SseReplay,
  SseStoredEvent,
} from './brokers/sse-broker.interface.js';
export type { SseChannelAuthorizer } from './hub/sse-channel-authorizer.interface.js';
export type {
  SseConnectionFilter,
  SseExcept,
  SseHubStats,
  SseLifecycleEvent,
  SsePublishOptions,
} from './hub/sse-hub.interface.js';
export type { SseHistoryOptions, SseHubOptions } from './options/sse-module-options.interface.js';
export { SSE_HUB_ADAPTER, SSE_CHANNEL_AUTHORIZER } from './sse.constants.js';
export { SseAuthGuard, isSseAuthResult, type SseUnauthorizedReason } from './auth/sse-auth.guard.js';
export { SseAuthService } from './auth/sse-auth.service.js';
export { SseAuthExpiryService } from './auth/sse-auth-expiry.service.js';
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
export type {
  SseAuthResult,
  SseTokenVerifier,
  SseVerifyFunction,
  SseVerifyResult,
} from './auth/sse-token-verifier.interface.js';
export { Broadcast } from './schedule/broadcast.decorator.js';
export { InMemorySseScheduleLock } from './schedule/in-memory-sse-schedule.lock.js';
export { SSE_SCHEDULE_LOCK } from './sse.constants.js';
export type { SseScheduleLock } from './schedule/sse-schedule-lock.interface.js';
export type {
  BroadcastOptions,
  SseBroadcastProducer,
  SseScheduleOptions,
  SseScheduleTrigger,
} from './schedule/sse-schedule.interface.js';
