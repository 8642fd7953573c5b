import type { Type } from '@nestjs/common';
import type { JsonSchema } from './api-event-stream-options.interface.js';
import type { EventDoc } from './resolve-api-event-stream.js';

/** The media type of every `@EventStream()` response. */
export const EVENT_STREAM_MEDIA_TYPE = 'text/event-stream';

/** The `$ref` of a DTO class's schema (`getSchemaPath()` of `@nestjs/swagger`). */
export type SchemaRefOf = (model: Type<unknown>) => string;

/**
 * `{ $ref }` of a lazy type whose class is not defined yet: the `$ref` is read
 * (and the type called) when the document is built, not when the decorator applies.
 */
function lazyRef(lazyModel: () => Type<unknown>, refOf: SchemaRefOf): JsonSchema {
  const ref: JsonSchema = {};
  Object.defineProperty(ref, '$ref', { enumerable: true, get: () => refOf(lazyModel()) });
  return ref;
}

/** The event a value sent without an `event:` field reaches in a browser. */
const DEFAULT_EVENT = 'message';

// Described once, in the item schema's description, rather than in every branch.
const ID_FIELD: JsonSchema = { type: 'string' };
const RETRY_FIELD: JsonSchema = { type: 'integer', minimum: 0 };

/**
 * A block that dispatches no event: the `retry:` hint every stream starts
 * with, and on hub streams an `id:`-only block (the position a reconnect
 * resumes from).
 */
const CONTROL_BLOCK: JsonSchema = {
  title: 'retry or id only',
  description:
    'A block without `event:` and `data:`, which dispatches no event: the `retry:` hint that starts every stream, and on hub streams an `id:`-only block that sets the position a reconnect resumes from.',
  type: 'object',
  properties: { id: ID_FIELD, retry: RETRY_FIELD },
  additionalProperties: false,
};

/**
 * The schema of one event's `data` field, as OpenAPI 3.2 describes it: a
 * string, whose JSON content (`contentMediaType`, `contentSchema`) is the DTO's
 * schema; a text payload is a plain string (its `schema`, when given, describes it).
 */
export function eventDataSchema(event: EventDoc, refOf: SchemaRefOf): JsonSchema {
  if (event.encoding === 'text') {
    return {
      description: 'Text, written as it is (one `data:` line per line).',
      ...event.schema,
      type: 'string',
    };
  }
  const decoded = event.model
    ? { $ref: refOf(event.model) }
    : event.lazyModel
      ? lazyRef(event.lazyModel, refOf)
      : (event.schema ?? {});
  return {
    type: 'string',
    contentMediaType: 'application/json',
    contentSchema: event.isArray ? { type: 'array', items: decoded } : decoded,
  };
}

/**
 * The OpenAPI 3.2 `itemSchema` of a `text/event-stream` response: one block
 * of the stream, `oneOf` the events (each fixing `event` with `const`, its
 * `data` a JSON string described by `contentSchema`), or a block that
 * dispatches no event (`retry:` or `id:` only). Comments (`: heartbeat`) are
 * not items.
 */
export function eventItemSchema(events: readonly EventDoc[], refOf: SchemaRefOf): JsonSchema {
  return {
    description:
      'One block of the stream: `event` names the event, `data` carries its payload, `id` is the event id a reconnect resumes after (Last-Event-ID), `retry` the reconnection delay in milliseconds. Comments such as `: heartbeat` are not blocks.',
    oneOf: [...events.map((event) => eventBranch(event, refOf)), CONTROL_BLOCK],
  };
}

function eventBranch(event: EventDoc, refOf: SchemaRefOf): JsonSchema {
  return {
    title: event.name,
    ...(event.description === undefined ? {} : { description: event.description }),
    type: 'object',
    properties: {
      event: { type: 'string', const: event.name },
      data: eventDataSchema(event, refOf),
      id: ID_FIELD,
      retry: RETRY_FIELD,
    },
    // A `message` may come without its `event:` field; every other event names itself.
    required: event.name === DEFAULT_EVENT ? ['data'] : ['event', 'data'],
  };
}

/**
 * The description of the 200 response: the events, the final word and reset
 * event, and what is not an event. The same text whatever the document's version.
 */
export function describeEventStream(
  events: readonly EventDoc[],
  endEventName: string | false,
  resetEventName: string | false,
): string {
  const names = events.map((event) => `\`${event.name}\``).join(', ');
  const parts = [`A stream of Server-Sent Events (text/event-stream): ${names}.`];
  if (resetEventName !== false) {
    parts.push(`\`${resetEventName}\` (before live events) says that the missed events cannot all be replayed.`);
  }
  if (endEventName !== false) {
    parts.push(`When the server ends the stream it sends \`${endEventName}\` last, with JSON data {"reason": ...}.`);
  }
  parts.push(
    'The first block is `retry:` only; comments (`: heartbeat`) keep the connection alive and are not events.',
  );
  return parts.join(' ');
}
