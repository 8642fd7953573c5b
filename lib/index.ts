export { SseModule } from './sse.module.js';
export { SSE_MODULE_OPTIONS } from './sse.module-definition.js';
export type { SseModuleOptions, SseOptionsFactory } from './interfaces/sse-module-options.interface.js';
export type {
  SseStreamOptions,
  ResolvedSseStreamOptions,
  SseFrameErrorPolicy,
} from './interfaces/sse-stream-options.interface.js';
export type { SseCloseReason, SseRequest } from './interfaces/sse-client.interface.js';
export { EventStream, type EventStreamOptions } from './decorators/event-stream.decorator.js';
export { SseClient } from './decorators/sse-client.decorator.js';
export { sseEvent, isSseEvent, SseEvent, type SseEventInit } from './protocol/sse-event.js';
export { encodeEvent, encodeComment, encodeRetry } from './protocol/encode-event.js';
export { jsonSerializer, type SseSerializer } from './protocol/sse-serializer.js';
export { SseFrameError, type SseFrameField } from './errors/sse-frame.error.js';
export { SseConnectionRegistry } from './connection/sse-connection-registry.js';
export { EventStreamInterceptor } from './interceptors/event-stream.interceptor.js';
export { SseHub } from './hub/sse-hub.js';
export { isChannelName, assertChannelName, MAX_CHANNEL_NAME_LENGTH } from './hub/channel-name.js';
export { parseEventId, formatEventId, type HubEventPosition } from './hub/event-id.js';
export { SseChannelNameError } from './errors/sse-channel-name.error.js';
export { InMemorySseAdapter, type InMemorySseAdapterOptions } from './adapters/in-memory/in-memory-sse.adapter.js';
export type {
  SseHubAdapter,
  SseHubAdapterHooks,
  SseHubMessage,
  SseReplay,
  SseStoredEvent,
} from './interfaces/sse-hub-adapter.interface.js';
export type { SseChannelAuthorizer } from './interfaces/sse-channel-authorizer.interface.js';
export type {
  SseConnectionFilter,
  SseExcept,
  SseHubStats,
  SseLifecycleEvent,
  SsePublishOptions,
} from './interfaces/sse-hub.interface.js';
export type { SseHistoryOptions, SseHubOptions } from './interfaces/sse-module-options.interface.js';
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
export type { SseScheduleLock } from './interfaces/sse-schedule-lock.interface.js';
export type {
  BroadcastOptions,
  SseBroadcastProducer,
  SseScheduleOptions,
  SseScheduleTrigger,
} from './interfaces/sse-schedule.interface.js';
