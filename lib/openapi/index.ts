/**
 * `nestjs-event-stream/openapi`: documents `@EventStream()` routes for
 * `@nestjs/swagger` (an optional peer, loaded only by this entry point).
 */
export { ApiEventStream } from './api-event-stream.decorator.js';
export type {
  ApiEventPayload,
  ApiEventPayloadOptions,
  ApiEventPayloadType,
  ApiEventStreamOptions,
  JsonSchema,
  ApiEventStreamRefusal,
} from './api-event-stream-options.interface.js';
export {
  documentEventStreams,
  SSE_EVENTS_EXTENSION,
  SSE_ITEM_SCHEMA_EXTENSION,
  type OpenApiDocumentLike,
} from './document-event-streams.js';
export { SseEndDataSchema, SseResetDataSchema } from './sse-control-events.schema.js';
