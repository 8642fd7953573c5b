import type { JsonSchema } from './api-event-stream-options.interface.js';
import { EVENT_STREAM_MEDIA_TYPE } from './event-item-schema.js';
import { describeValue, OPENAPI_MESSAGES } from './openapi.messages.js';

/** The extension of a 3.0/3.1 media type that holds the schema of each event's `data`, by event name. */
export const SSE_EVENTS_EXTENSION = 'x-sse-events';

/** The extension that keeps an `itemSchema` whose events could not be read (not shaped as `@ApiEventStream()` writes it). */
export const SSE_ITEM_SCHEMA_EXTENSION = 'x-sse-item-schema';

/** The least of an OpenAPI document this function reads. */
export interface OpenApiDocumentLike {
  openapi: string;
}

type Dialect = '3.0' | '3.1';
type Json = Record<string, unknown>;

const OPERATIONS = ['get', 'put', 'post', 'delete', 'options', 'head', 'patch', 'trace'];

/**
 * Makes the event streams `@ApiEventStream()` documented right for the
 * document's OpenAPI version; call it on what `SwaggerModule.createDocument()`
 * returns. Pure: returns a new document, the given one is not changed, and it
 * is idempotent (a document it returned comes back the same).
 *
 * - OpenAPI 3.2 (and later 3.x): `text/event-stream` media types keep their
 *   `itemSchema` (one block: `oneOf` the events, `data` with
 *   `contentMediaType`/`contentSchema`). Nothing changes.
 * - OpenAPI 3.0 and 3.1, which have no `itemSchema`: each one becomes
 *   `schema: { type: 'string', description }` (the description lists the
 *   events) plus `x-sse-events`, the schema of each event's `data` by event
 *   name: in 3.1 with the JSON Schema 2020-12 keywords `contentMediaType` and
 *   `contentSchema`, in 3.0 (whose schemas have neither, nor `const`) as
 *   `x-content-media-type` and `x-content-schema`.
 *
 * Throws when the document is not OpenAPI 3.x.
 */
export function documentEventStreams<T extends OpenApiDocumentLike>(document: T): T {
  const dialect = dialectOf(document);
  const copy = structuredClone(document);
  if (dialect === undefined) return copy;
  const root = copy as unknown as Json;
  const components = asObject(root.components);
  for (const pathItems of [root.paths, root.webhooks, components?.pathItems]) {
    for (const pathItem of Object.values(asObject(pathItems) ?? {})) {
      for (const method of OPERATIONS) {
        const operation = asObject(asObject(pathItem)?.[method]);
        for (const response of Object.values(asObject(operation?.responses) ?? {})) rewriteResponse(response, dialect);
      }
    }
  }
  for (const response of Object.values(asObject(components?.responses) ?? {})) rewriteResponse(response, dialect);
  return copy;
}

/** `undefined` for 3.2 and later, which describe streams natively; throws for anything but 3.x. */
function dialectOf(document: OpenApiDocumentLike): Dialect | undefined {
  const version = (document as { openapi?: unknown } | null)?.openapi;
  const match = typeof version === 'string' ? /^3\.(\d+)\.\d+/.exec(version) : null;
  if (!match) throw new Error(OPENAPI_MESSAGES.notOpenApi3(describeValue(version)));
  const minor = Number(match[1]);
  return minor === 0 ? '3.0' : minor === 1 ? '3.1' : undefined;
}

function rewriteResponse(response: unknown, dialect: Dialect): void {
  const content = asObject(asObject(response)?.content);
  const media = asObject(content?.[EVENT_STREAM_MEDIA_TYPE]);
  if (content && media && 'itemSchema' in media) content[EVENT_STREAM_MEDIA_TYPE] = legacyMediaType(media, dialect);
}

/** A 3.2 media type with `itemSchema`, described for a 3.0 or 3.1 document. */
function legacyMediaType(media: Json, dialect: Dialect): Json {
  // `description` of a media type is new in 3.2 too: it joins the schema's.
  const { itemSchema, description, ...rest } = media;
  const events = eventsOf(itemSchema);
  const text = [typeof description === 'string' ? description : undefined, streamDescription(events)]
    .filter(Boolean)
    .join(' ');
  return {
    ...rest,
    schema: asObject(rest.schema) ?? { type: 'string', description: text },
    ...(events
      ? {
          [SSE_EVENTS_EXTENSION]: Object.fromEntries(
            events.map(({ name, data, description }) => [
              name,
              toDialect({ ...data, ...(description === undefined ? {} : { description }) }, dialect),
            ]),
          ),
        }
      : { [SSE_ITEM_SCHEMA_EXTENSION]: itemSchema }),
  };
}

interface EventOfStream {
  name: string;
  data: JsonSchema;
  description?: string;
}

/**
 * The events of an `itemSchema` shaped as `@ApiEventStream()` writes it
 * (`oneOf` objects whose `event` has a `const`); blocks without `data` dispatch
 * no event and are left out. `undefined` when it has another shape.
 */
function eventsOf(itemSchema: unknown): EventOfStream[] | undefined {
  const branches = asObject(itemSchema)?.oneOf;
  if (!Array.isArray(branches)) return undefined;
  const events: EventOfStream[] = [];
  for (const branch of branches) {
    const properties = asObject(asObject(branch)?.properties);
    if (!properties) return undefined;
    const data = asObject(properties.data);
    if (!data) continue;
    const event = asObject(properties.event);
    const name = event === undefined ? 'message' : event.const;
    if (typeof name !== 'string') return undefined;
    const description = (branch as Json).description;
    events.push({ name, data, description: typeof description === 'string' ? description : undefined });
  }
  return events.length > 0 ? events : undefined;
}

function streamDescription(events: EventOfStream[] | undefined): string {
  if (!events) {
    return `Server-Sent Events (text/event-stream). The schema of one block (OpenAPI 3.2's itemSchema) is in ${SSE_ITEM_SCHEMA_EXTENSION}.`;
  }
  const list = events.map(({ name, data }) => `\`${name}\` (${'contentSchema' in data ? 'JSON' : 'text'})`);
  return (
    `Server-Sent Events (text/event-stream), blocks of \`event:\`, \`data:\`, \`id:\` and \`retry:\` lines. Events: ${list.join(', ')}. ` +
    `The schema of each event's \`data\` is in ${SSE_EVENTS_EXTENSION}, by event name.`
  );
}

/** A 3.2 `data` schema in the keywords of the document's dialect (3.0 has no `const`, `contentMediaType`, `contentSchema`). */
function toDialect(schema: JsonSchema, dialect: Dialect): JsonSchema {
  if (dialect === '3.1') return schema;
  const { const: constant, contentMediaType, contentSchema, ...rest } = schema;
  return {
    ...rest,
    ...(constant === undefined ? {} : { enum: [constant] }),
    ...(contentMediaType === undefined ? {} : { 'x-content-media-type': contentMediaType }),
    ...(contentSchema === undefined ? {} : { 'x-content-schema': contentSchema }),
  };
}

function asObject(value: unknown): Json | undefined {
  return value !== null && typeof value === 'object' && !Array.isArray(value) ? (value as Json) : undefined;
}
