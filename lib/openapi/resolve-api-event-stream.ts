import { DEFAULT_END_EVENT_NAME } from '../sse.constants.js';
import { assertEventName } from '../protocol/encode-event.js';
import type { ApiEventStreamOptions, ApiEventStreamRefusal } from './api-event-stream-options.interface.js';
import { describeValue, OPENAPI_MESSAGES } from './openapi.messages.js';
import { eventDoc, type EventDoc } from './resolve-event-payload.js';

export type { EventDoc } from './resolve-event-payload.js';

/** The hub's reset event name when `resetEvent: true` (the module's `resetEventName` default). */
export const DEFAULT_RESET_EVENT_NAME = 'sse-reset';

/** The statuses `refusals` takes, in the order a document lists them. */
export const SSE_REFUSAL_STATUSES: readonly ApiEventStreamRefusal[] = [204, 401, 403, 429, 503];

/** `@ApiEventStream()`'s options, checked, with their defaults. */
export interface ApiEventStreamDoc {
  /** The route's own events, in the order `events` gives them. */
  readonly events: readonly EventDoc[];
  /** The final word's name, or `false` for none. */
  readonly endEventName: string | false;
  /** The reset event's name, or `false` for none. */
  readonly resetEventName: string | false;
  /** Whether the `Last-Event-ID` header and `lastEventId` query parameter are documented. */
  readonly lastEventId: boolean;
  readonly refusals: readonly ApiEventStreamRefusal[];
  readonly summary?: string;
  readonly description?: string;
}

/** The keys of `@ApiEventStream()`'s options. */
export const API_EVENT_STREAM_KEYS: readonly (keyof ApiEventStreamOptions)[] = [
  'events',
  'summary',
  'description',
  'endEvent',
  'resetEvent',
  'lastEventId',
  'refusals',
];

/**
 * Checks `@ApiEventStream()`'s options and fills in the defaults; throws an
 * `Error` naming the route (`where`), the option, the bad value and the fix.
 * Event names must be names the library can send (non-empty, one line, not
 * `error` or `open`) and must not be the final word's or reset event's name
 * while those are documented, which must have two names. Unknown keys are
 * refused, with the list of known ones.
 */
export function resolveApiEventStream(options: ApiEventStreamOptions, where: string): ApiEventStreamDoc {
  if (options === null || typeof options !== 'object') throw new Error(OPENAPI_MESSAGES.noOptions(where));
  const unknown = Object.keys(options).filter((key) => !(API_EVENT_STREAM_KEYS as readonly string[]).includes(key));
  if (unknown.length > 0) throw new Error(OPENAPI_MESSAGES.unknownKeys(where, unknown, API_EVENT_STREAM_KEYS));
  const { events } = options;
  if (events === null || typeof events !== 'object' || Array.isArray(events) || Object.keys(events).length === 0) {
    throw new Error(OPENAPI_MESSAGES.noEvents(where, describeValue(events)));
  }
  const endEventName = controlEventName(where, 'endEvent', options.endEvent, DEFAULT_END_EVENT_NAME, true);
  const resetEventName = controlEventName(where, 'resetEvent', options.resetEvent, DEFAULT_RESET_EVENT_NAME, false);
  if (endEventName !== false && endEventName === resetEventName) {
    throw new Error(OPENAPI_MESSAGES.sameControlEventName(where, endEventName));
  }
  const lastEventId = options.lastEventId ?? resetEventName !== false;
  if (typeof lastEventId !== 'boolean') {
    throw new Error(OPENAPI_MESSAGES.badLastEventId(where, describeValue(options.lastEventId)));
  }
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
    lastEventId,
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

function checkRefusals(where: string, value: unknown): readonly ApiEventStreamRefusal[] {
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
