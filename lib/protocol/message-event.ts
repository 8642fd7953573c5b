import type { SseEventInit } from './sse-event.js';

/**
 * The fields of Nest's own `MessageEvent` (from `@nestjs/common`), the values
 * an `@Sse()` route emits.
 */
export interface NestMessageEventLike {
  data?: unknown;
  type?: string;
  id?: string | number;
  retry?: number;
  comment?: string;
}

const MESSAGE_EVENT_KEYS: ReadonlySet<string> = new Set(['data', 'type', 'id', 'retry', 'comment']);

function isPlainObject(value: unknown): value is Record<string, unknown> {
  if (typeof value !== 'object' || value === null) return false;
  const prototype = Object.getPrototypeOf(value);
  return prototype === Object.prototype || prototype === null;
}

/**
 * Whether a value has exactly the shape of Nest's `MessageEvent`: a plain
 * object with a `data` key and no keys but `data`, `type`, `id`, `retry` and
 * `comment`. Pure; used to warn a user coming from `@Sse()`.
 */
export function hasMessageEventShape(value: unknown): boolean {
  if (!isPlainObject(value) || !Object.hasOwn(value, 'data')) return false;
  for (const key of Object.keys(value)) if (!MESSAGE_EVENT_KEYS.has(key)) return false;
  return true;
}

/**
 * The event a value stands for when read as Nest's `MessageEvent`, field for
 * field as `@Sse()` writes it: `type` becomes `event` (an empty `type` none),
 * `id`, `retry` and `comment` as they are, `data` unless it is `null` or
 * `undefined`. A value with no `id` that is not a comment alone takes
 * `nextId()`, as `@Sse()` numbers such events `1`, `2`, ... per stream.
 *
 * Nothing is sanitized here: the encoder refuses what cannot be framed.
 * Values that are not objects are the `data` of a message, as in `@Sse()`'s
 * plain strings.
 */
export function fromMessageEvent(value: unknown, nextId: () => string): SseEventInit {
  // Not an object: the data of a message, as @Sse() wraps it (`null`/`undefined`: no data line, as there).
  if (typeof value !== 'object' || value === null) {
    return value === null || value === undefined ? { id: nextId() } : { data: value, id: nextId() };
  }
  const message = value as NestMessageEventLike;
  const init: SseEventInit = {};
  if (message.type !== undefined && message.type !== null && message.type !== '') init.event = message.type;
  const commentOnly =
    message.comment !== undefined &&
    message.comment !== null &&
    message.data === undefined &&
    message.type === undefined &&
    message.retry === undefined;
  if (message.id !== undefined && message.id !== null) init.id = message.id;
  else if (!commentOnly) init.id = nextId();
  if (message.retry !== undefined && message.retry !== null) init.retry = message.retry;
  if (message.comment !== undefined && message.comment !== null) init.comment = message.comment;
  if (message.data !== undefined && message.data !== null) init.data = message.data;
  return init;
}
