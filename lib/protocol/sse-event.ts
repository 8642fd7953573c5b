/**
 * The fields of one Server-Sent Event. Every field is optional, but an event
 * must carry something, and an `event` name needs `data` to be dispatched.
 */
export interface SseEventInit {
  /** The payload. Strings are written as they are; anything else goes through the serializer (JSON by default). */
  data?: unknown;
  /** The event type; the client dispatches it to `addEventListener(event, ...)`. Omit it for `message`. */
  event?: string;
  /** The id the client stores and sends back as `Last-Event-ID` when it reconnects. */
  id?: string | number;
  /** The reconnection delay, in milliseconds, the client should use from now on. */
  retry?: number;
  /** A comment: ignored by clients, useful for debugging and keep-alive. */
  comment?: string;
}

const SSE_EVENT_BRAND = Symbol.for('nestjs-event-stream.SseEvent');

/**
 * An explicit event envelope, made by {@link sseEvent}. A stream value that is
 * not an `SseEvent` is always the `data` of an unnamed message, whatever keys it
 * has: a plain object `{ data, event }` is never taken for an envelope.
 */
export class SseEvent implements SseEventInit {
  readonly data?: unknown;
  readonly event?: string;
  readonly id?: string | number;
  readonly retry?: number;
  readonly comment?: string;
  readonly [SSE_EVENT_BRAND] = true;

  constructor(init: SseEventInit) {
    if (init.data !== undefined) this.data = init.data;
    if (init.event !== undefined) this.event = init.event;
    if (init.id !== undefined) this.id = init.id;
    if (init.retry !== undefined) this.retry = init.retry;
    if (init.comment !== undefined) this.comment = init.comment;
  }
}

/**
 * Makes an explicit event envelope.
 *
 * @example
 * return interval(1000).pipe(map((n) => sseEvent({ event: 'tick', id: n, data: { n } })));
 */
export function sseEvent(init: SseEventInit): SseEvent {
  return new SseEvent(init);
}

/** Whether a value is an envelope made by {@link sseEvent} (also one from another copy of this package). */
export function isSseEvent(value: unknown): value is SseEvent {
  return (
    value instanceof SseEvent ||
    (typeof value === 'object' && value !== null && (value as Record<symbol, unknown>)[SSE_EVENT_BRAND] === true)
  );
}

/** The event a stream value stands for: the envelope itself, or an unnamed message carrying the value as data. */
export function toSseEventInit(value: unknown): SseEventInit {
  return isSseEvent(value) ? value : { data: value };
}
