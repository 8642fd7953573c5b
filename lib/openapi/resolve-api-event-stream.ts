import type { Type } from '@nestjs/common';
import { DEFAULT_END_EVENT_NAME } from '../sse.constants.js';
import { assertEventName } from '../protocol/encode-event.js';
import type {
  ApiEventPayload,
  ApiEventPayloadOptions,
  ApiEventStreamOptions,
  JsonSchema,
  SseRefusalStatus,
} from './api-event-stream-options.interface.js';
import { describeValue, OPENAPI_MESSAGES } from './openapi.messages.js';

/** The hub's reset event name when `resetEvent: true` (the module's `resetEventName` default). */
export const DEFAULT_RESET_EVENT_NAME = 'sse-reset';

/** The statuses `refusals` takes, in the order a document lists them. */
export const SSE_REFUSAL_STATUSES: readonly SseRefusalStatus[] = [204, 401, 403, 429, 503];

/** One event as the document describes it. */
export interface EventDoc {
  /** The `event:` field (`message` also covers values sent without one). */
  readonly name: string;
  /** `json`: `data` is JSON (`model` or `schema`); `text`: the string is written as it is. */
  readonly encoding: 'json' | 'text';
  /** The DTO class whose schema `data` holds (registered in `components.schemas`). */
  readonly model?: Type<unknown>;
  /** The schema of the decoded data when there is no model (`Number`, `Boolean`, a raw schema). */
  readonly schema?: JsonSchema;
  /** `true`: the data is a JSON array of `model` (or `schema`). */
  readonly isArray: boolean;
  readonly description?: string;
}

/** `@ApiEventStream()`'s options, checked, with their defaults. */
export interface ApiEventStreamDoc {
  /** The route's own events, in the order `events` gives them. */
  readonly events: readonly EventDoc[];
  /** The final word's name, or `false` for none. */
  readonly endEventName: string | false;
  /** The reset event's name, or `false` for none. */
  readonly resetEventName: string | false;
  readonly refusals: readonly SseRefusalStatus[];
  readonly summary?: string;
  readonly description?: string;
}

const PRIMITIVE_SCHEMAS = new Map<unknown, JsonSchema>([
  [String, { type: 'string' }],
  [Number, { type: 'number' }],
  [Boolean, { type: 'boolean' }],
]);

/**
 * Checks `@ApiEventStream()`'s options and fills in the defaults; throws an
 * `Error` naming the route (`where`), the option, the bad value and the fix.
 * Event names must be names the library can send (non-empty, one line, not
 * `error` or `open`) and must not be the final word's or reset event's name
 * while those are documented.
 */
export function resolveApiEventStream(options: ApiEventStreamOptions, where: string): ApiEventStreamDoc {
  if (options === null || typeof options !== 'object') throw new Error(OPENAPI_MESSAGES.noOptions(where));
  const { events } = options;
  if (events === null || typeof events !== 'object' || Array.isArray(events) || Object.keys(events).length === 0) {
    throw new Error(OPENAPI_MESSAGES.noEvents(where, describeValue(events)));
  }
  const endEventName = controlEventName(where, 'endEvent', options.endEvent, DEFAULT_END_EVENT_NAME, true);
  const resetEventName = controlEventName(where, 'resetEvent', options.resetEvent, DEFAULT_RESET_EVENT_NAME, false);
  const docs = Object.entries(events).map(([name, payload]) => {
    checkEventName(where, name);
    if (name === endEventName) throw new Error(OPENAPI_MESSAGES.reservedEventName(where, name, 'endEvent'));
    if (name === resetEventName) throw new Error(OPENAPI_MESSAGES.reservedEventName(where, name, 'resetEvent'));
    return eventDoc(where, name, payload);
  });
  return {
    events: docs,
    endEventName,
    resetEventName,
    refusals: checkRefusals(where, options.refusals),
    summary: checkText(where, 'summary', options.summary),
    description: checkText(where, 'description', options.description),
  };
}

function checkEventName(where: string, name: string): void {
  try {
    assertEventName(name);
  } catch (error) {
    throw new Error(OPENAPI_MESSAGES.badEventName(where, name, (error as Error).message));
  }
}

function controlEventName(
  where: string,
  option: 'endEvent' | 'resetEvent',
  value: unknown,
  defaultName: string,
  byDefault: boolean,
): string | false {
  const given = value ?? byDefault;
  if (given === true) return defaultName;
  if (given === false) return false;
  if (typeof given !== 'string')
    throw new Error(OPENAPI_MESSAGES.badControlEvent(where, option, describeValue(value), ''));
  try {
    assertEventName(given);
  } catch (error) {
    throw new Error(OPENAPI_MESSAGES.badControlEvent(where, option, describeValue(value), (error as Error).message));
  }
  return given;
}

function eventDoc(where: string, name: string, payload: ApiEventPayload): EventDoc {
  if (typeof payload === 'function') return typeDoc(name, payload, false, undefined);
  if (payload === null || typeof payload !== 'object' || Array.isArray(payload)) {
    throw new Error(OPENAPI_MESSAGES.badPayload(where, name, describeValue(payload)));
  }
  const { type, isArray = false, schema, description } = payload as ApiEventPayloadOptions;
  if (type !== undefined && schema !== undefined) throw new Error(OPENAPI_MESSAGES.payloadTypeAndSchema(where, name));
  if (typeof isArray !== 'boolean' || (description !== undefined && typeof description !== 'string')) {
    throw new Error(OPENAPI_MESSAGES.badPayload(where, name, describeValue(payload)));
  }
  if (typeof type === 'function') return typeDoc(name, type, isArray, description);
  if (type === undefined && schema !== null && typeof schema === 'object' && !Array.isArray(schema)) {
    return { name, encoding: 'json', schema, isArray, description };
  }
  throw new Error(OPENAPI_MESSAGES.badPayload(where, name, describeValue(payload)));
}

function typeDoc(
  name: string,
  type: Type<unknown> | StringConstructor | NumberConstructor | BooleanConstructor,
  isArray: boolean,
  description: string | undefined,
): EventDoc {
  const primitive = PRIMITIVE_SCHEMAS.get(type);
  // A string is written as it is; anything else (and an array of strings) goes through the serializer: JSON.
  if (type === String && !isArray) return { name, encoding: 'text', isArray, description };
  if (primitive) return { name, encoding: 'json', schema: primitive, isArray, description };
  return { name, encoding: 'json', model: type as Type<unknown>, isArray, description };
}

function checkRefusals(where: string, value: unknown): readonly SseRefusalStatus[] {
  if (value === undefined) return [503];
  if (!Array.isArray(value) || value.some((status) => !SSE_REFUSAL_STATUSES.includes(status))) {
    throw new Error(OPENAPI_MESSAGES.badRefusals(where, describeValue(value), SSE_REFUSAL_STATUSES));
  }
  return SSE_REFUSAL_STATUSES.filter((status) => value.includes(status));
}

function checkText(where: string, option: string, value: unknown): string | undefined {
  if (value === undefined || typeof value === 'string') return value;
  throw new Error(OPENAPI_MESSAGES.badText(where, option, describeValue(value)));
}
