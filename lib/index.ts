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
