import type { Type } from '@nestjs/common';

/** A JSON schema, as OpenAPI documents hold them (the decoded `data` of one event). */
export type JsonSchema = Record<string, unknown>;

/**
 * What one event's `data` carries:
 * - a DTO class: JSON (the default serializer), its schema from `@ApiProperty()`;
 * - `String`: text written as it is (a string payload is never JSON-encoded);
 * - `Number` or `Boolean`: JSON;
 * - a lazy type, `() => Dto`, for a DTO defined later (circular imports), as
 *   in `@ApiProperty({ type: () => Dto })`;
 * - an object, for arrays, raw schemas and a description.
 * Other built-ins (`Date`, `Object`, `Array`...) are refused: use `schema`.
 */
export type ApiEventPayload = ApiEventPayloadType | ApiEventPayloadOptions;

/** A DTO class, `String`, `Number`, `Boolean`, or a lazy type returning one (`() => Dto`). */
export type ApiEventPayloadType =
  | Type<unknown>
  | StringConstructor
  | NumberConstructor
  | BooleanConstructor
  | (() => Type<unknown> | StringConstructor | NumberConstructor | BooleanConstructor);

/** The long form of an event's payload in `@ApiEventStream({ events })`. */
export interface ApiEventPayloadOptions {
  /** A DTO class, `String`, `Number`, `Boolean` or a lazy type (`() => Dto`), as in the short form. */
  type?: ApiEventPayloadType;
  /** `true`: the data is a JSON array of `type`. Default `false`. */
  isArray?: boolean;
  /** A JSON schema of the data, instead of `type` (use `getSchemaPath()` for `$ref`s). */
  schema?: JsonSchema;
  /**
   * How `data` is written, with `schema`: `'text'`, a string written as it is
   * (the server never JSON-encodes a string), documented as a plain string the
   * schema describes; `'json'`, through the serializer, documented with
   * `contentMediaType: application/json` and `contentSchema`. Default: `'text'`
   * for a `type: 'string'` schema (not `isArray`), `'json'` otherwise.
   */
  encoding?: 'json' | 'text';
  /** What the event means, shown with it in the document. */
  description?: string;
}

/** The statuses `@ApiEventStream()` can document for a route, with the library's reason for each. */
export type ApiEventStreamRefusal = 204 | 401 | 403 | 429 | 503;

/** Options of `@ApiEventStream()`. */
export interface ApiEventStreamOptions {
  /**
   * The events the route sends, by name, with their payloads:
   * `{ tick: TickDto, note: String, progress: { type: ProgressDto, description: '...' } }`.
   * `message` is the event of values sent without an `event:` field.
   */
  events: Readonly<Record<string, ApiEventPayload>>;
  /** The operation's summary (`@ApiOperation({ summary })`). Not set by default. */
  summary?: string;
  /** The operation's description (`@ApiOperation({ description })`). Not set by default. */
  description?: string;
  /**
   * The final word a stream may end with (`{"reason": ...}`, schema `SseEndData`):
   * `true` (default) documents `sse-end`, a string documents it under that
   * name (the route's `endEventName`), `false` leaves it out (`endEventName: false`).
   */
  endEvent?: boolean | string;
  /**
   * The hub's reset event (`{"reason": "expired" | "unknown", "lastEventId"}`, schema
   * `SseResetData`), for routes that `join()` channels: `true` documents
   * `sse-reset`, a string documents it under that name (`resetEventName`).
   * Default `false`.
   */
  resetEvent?: boolean | string;
  /**
   * Documents the optional `Last-Event-ID` request header and `lastEventId`
   * query parameter, which the library reads on every stream (the hub resumes
   * after it). Default: `true` when `resetEvent` is documented, else `false`.
   */
  lastEventId?: boolean;
  /**
   * The refusals the route can answer before any stream byte, documented with
   * the library's reason: 204 (the handler returned `null`), 401 and 403 (stream
   * auth), 429 (per-user or per-address limits), 503 (`maxConnections`, a broker
   * or ticket store down). Default `[503]`: every stream is under `maxConnections`.
   */
  refusals?: readonly ApiEventStreamRefusal[];
}
