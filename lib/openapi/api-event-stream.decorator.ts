import type { Type } from '@nestjs/common';
import {
  ApiExtraModels,
  ApiHeader,
  ApiOperation,
  ApiQuery,
  ApiResponse,
  getSchemaPath,
  type MediaTypeObject,
} from '@nestjs/swagger';
import type { ApiEventStreamOptions, ApiEventStreamRefusal } from './api-event-stream-options.interface.js';
import { describeEventStream, EVENT_STREAM_MEDIA_TYPE, eventItemSchema } from './event-item-schema.js';
import { OPENAPI_MESSAGES } from './openapi.messages.js';
import { resolveApiEventStream, type EventDoc } from './resolve-api-event-stream.js';
import { SseEndDataSchema, SseResetDataSchema } from './sse-control-events.schema.js';

const RETRY_AFTER = {
  'Retry-After': { description: 'Seconds to wait before trying again.', schema: { type: 'integer' } },
};

/** What each refusal means, in the words of the library's behaviour. */
const REFUSALS: Readonly<Record<ApiEventStreamRefusal, { description: string; headers?: typeof RETRY_AFTER }>> = {
  204: { description: 'No Content: the handler returned null or undefined; an EventSource stops for good.' },
  401: { description: 'Unauthorized: no valid token or ticket. Answered before any stream byte.' },
  403: { description: 'Forbidden: the credential is valid but may not open this stream.' },
  429: {
    description:
      'Too Many Requests: the user (maxConnectionsPerUser) or the address (maxAnonymousConnectionsPerAddress) holds its maximum of streams.',
    headers: RETRY_AFTER,
  },
  503: {
    description:
      'Service Unavailable: the server holds its maximum of streams (maxConnections), or the broker or ticket store cannot be reached.',
    headers: RETRY_AFTER,
  },
};

const LAST_EVENT_ID =
  'The id of the last event the client received: the stream resumes after it (a hub stream replays what was missed, or sends its reset event). A reconnecting EventSource sends the header by itself.';

/**
 * `@nestjs/swagger` calls a lazy type of `ApiExtraModels()` when the document
 * is built, as it does for `@ApiProperty({ type: () => Dto })`: it knows one by
 * its name, `type` (the name of an arrow function written `type: () => Dto`).
 */
function lazyExtraModel(lazyModel: () => Type<unknown>): () => Type<unknown> {
  const type = () => lazyModel();
  Object.defineProperty(type, 'name', { value: 'type' });
  return type;
}

/**
 * Documents an `@EventStream()` route for `@nestjs/swagger`: its 200
 * `text/event-stream` response with the OpenAPI 3.2 `itemSchema` of its
 * events (each event's `data` a JSON string whose `contentSchema` is the DTO's
 * schema, registered in `components.schemas`), the final word `sse-end`, the
 * hub's `sse-reset` when asked, the `Last-Event-ID` header and `lastEventId`
 * query parameter (by default with `sse-reset`), and the refusals the route can answer.
 *
 * Call {@link documentEventStreams} on the document `SwaggerModule.createDocument()`
 * returns: it keeps `itemSchema` in a 3.2 document and turns it into a valid
 * description in a 3.0 or 3.1 one. The options are checked here, as the class
 * is defined; a bad one throws, naming the route, the option and the fix.
 *
 * @example
 * \@ApiEventStream({ events: { tick: TickDto }, resetEvent: true, summary: 'Every tick' })
 * \@EventStream('ticks')
 * ticks(@SseClient() client: SseClient) { ... }
 */
export function ApiEventStream(options: ApiEventStreamOptions): MethodDecorator {
  return (target, key, descriptor) => {
    const where = `@ApiEventStream() on ${target.constructor.name}.${String(key)}`;
    if (typeof descriptor?.value !== 'function') throw new Error(OPENAPI_MESSAGES.notAMethod(where));
    const doc = resolveApiEventStream(options, where);
    const events: EventDoc[] = [...doc.events];
    if (doc.resetEventName !== false) {
      events.push({
        name: doc.resetEventName,
        encoding: 'json',
        model: SseResetDataSchema,
        isArray: false,
        description: 'The hub could not resume after the `Last-Event-ID` without a gap; reload the state.',
      });
    }
    if (doc.endEventName !== false) {
      events.push({
        name: doc.endEventName,
        encoding: 'json',
        model: SseEndDataSchema,
        isArray: false,
        description: 'The final word: the server ended the stream; `reason` says whether and how to reconnect.',
      });
    }
    const models = [
      ...new Set(events.flatMap((event) => (event.model ? [event.model] : []))),
      ...events.flatMap((event) => (event.lazyModel ? [lazyExtraModel(event.lazyModel)] : [])),
    ];
    const decorators: MethodDecorator[] = [
      ApiExtraModels(...(models as Type<unknown>[])),
      ApiResponse({
        status: 200,
        description: describeEventStream(doc.events, doc.endEventName, doc.resetEventName),
        // OpenAPI 3.2's `itemSchema`, which @nestjs/swagger's types do not know yet, passed through as raw content.
        content: {
          [EVENT_STREAM_MEDIA_TYPE]: { itemSchema: eventItemSchema(events, getSchemaPath) } as MediaTypeObject,
        },
      }),
      ...doc.refusals.map((status) => ApiResponse({ status, ...REFUSALS[status] })),
    ];
    if (doc.lastEventId) {
      decorators.push(
        ApiHeader({ name: 'Last-Event-ID', required: false, description: LAST_EVENT_ID, schema: { type: 'string' } }),
        ApiQuery({
          name: 'lastEventId',
          required: false,
          type: String,
          description: 'The same as the `Last-Event-ID` header, for clients that cannot set headers; the header wins.',
        }),
      );
    }
    if (doc.summary !== undefined || doc.description !== undefined) {
      decorators.push(ApiOperation({ summary: doc.summary, description: doc.description }));
    }
    for (const decorate of decorators) decorate(target, key, descriptor);
    return descriptor;
  };
}
