import { SseFrameError } from './sse-frame.error.js';
import type { SseEventInit } from './sse-event.js';
import { jsonSerializer, type SseSerializer } from './sse-serializer.js';

/** Any line break the SSE parser recognises: CRLF, CR or LF. */
const LINE_BREAK = /\r\n|\r|\n/;
/** What may never appear in an `event` name or an `id`. */
const UNFRAMEABLE = /[\r\n\0]/;
/** Event names that browsers hand to `onopen` / `onerror` as if they were their own. */
const RESERVED_EVENT_NAMES: ReadonlySet<string> = new Set(['open', 'error']);

function quote(value: string): string {
  const shown = value.length > 64 ? `${value.slice(0, 64)}...` : value;
  return JSON.stringify(shown);
}

/** `field: line` for every line of a value that may span several lines (`''` as field: a comment). */
function multiline(field: string, value: string): string {
  if (!LINE_BREAK.test(value)) return `${field}: ${value}\n`;
  let out = '';
  for (const line of value.split(LINE_BREAK)) out += `${field}: ${line}\n`;
  return out;
}

function serializeData(data: unknown, serializer: SseSerializer): string {
  if (typeof data === 'string') return data;
  let text: unknown;
  try {
    text = serializer(data);
  } catch (error) {
    throw new SseFrameError(
      'data',
      `SSE data could not be serialized: ${error instanceof Error ? error.message : String(error)}. Emit a string, or a value the serializer accepts.`,
    );
  }
  if (typeof text !== 'string') {
    throw new SseFrameError(
      'data',
      `SSE data of type ${typeof data} serialized to ${String(text)}, not a string. Emit a string, or a value the serializer turns into one.`,
    );
  }
  return text;
}

/** `String(value)`, refusing a value that has no text form (which would throw out of the stream). */
function toText(field: 'id' | 'comment', value: unknown): string {
  try {
    return String(value);
  } catch {
    throw new SseFrameError(
      field,
      `SSE ${field} cannot be converted to text. Use a string${field === 'id' ? ' or a number' : ''}.`,
    );
  }
}

/** Checks an event name: one line, no NUL, not a name browsers reserve. */
export function assertEventName(event: string): void {
  if (typeof event !== 'string' || event.length === 0) {
    throw new SseFrameError('event', 'SSE event name must be a non-empty string; omit `event` for a plain message.');
  }
  if (UNFRAMEABLE.test(event)) {
    throw new SseFrameError(
      'event',
      `SSE event name ${quote(event)} contains CR, LF or NUL, which would end the field and let the rest forge another. Use a single-line name.`,
    );
  }
  if (RESERVED_EVENT_NAMES.has(event)) {
    throw new SseFrameError(
      'event',
      `SSE event name "${event}" would reach a browser's on${event} handler as if the connection had ${event === 'open' ? 'opened' : 'failed'}. Choose another name.`,
    );
  }
}

/** Checks an event id: one line, no NUL (which browsers silently ignore). */
function assertEventId(id: string): void {
  if (UNFRAMEABLE.test(id)) {
    throw new SseFrameError(
      'id',
      `SSE event id ${quote(id)} contains CR, LF or NUL; clients would drop it or read a forged field. Use ids without control characters.`,
    );
  }
}

/** Checks a retry hint: a non-negative integer of milliseconds. */
function assertRetry(retry: number): void {
  if (!Number.isSafeInteger(retry) || retry < 0) {
    throw new SseFrameError('retry', `SSE retry must be a non-negative integer of milliseconds, got ${String(retry)}.`);
  }
}

/**
 * Encodes one event as the exact text of an SSE frame, ending in the blank line
 * that dispatches it. Pure: no I/O, nothing shared.
 *
 * - `data` is split on CRLF, CR and LF into several `data:` lines (the client
 *   joins them with LF); falsy values (`0`, `false`, `''`) are written.
 * - `event`, `id` and `retry` that cannot be framed throw {@link SseFrameError}.
 *
 * @example encodeEvent({ event: 'tick', id: 1, data: { n: 1 } })
 * // 'event: tick\nid: 1\ndata: {"n":1}\n\n'
 */
export function encodeEvent(event: SseEventInit, serializer: SseSerializer = jsonSerializer): string {
  let frame = '';
  if (event.event !== undefined) {
    assertEventName(event.event);
    frame += `event: ${event.event}\n`;
  }
  if (event.id !== undefined) {
    const id = toText('id', event.id);
    assertEventId(id);
    frame += `id: ${id}\n`;
  }
  if (event.retry !== undefined) {
    assertRetry(event.retry);
    frame += `retry: ${event.retry}\n`;
  }
  // Nest's @Sse() order (event, id, retry, comment, data): frames of the messageEvents mode match its bytes.
  if (event.comment !== undefined) frame += encodeComment(toText('comment', event.comment));
  if (event.data !== undefined) {
    frame += multiline('data', serializeData(event.data, serializer));
  } else if (event.event !== undefined) {
    throw new SseFrameError(
      'data',
      `SSE event "${event.event}" has no data, so clients would never dispatch it. Pass data ('' for an empty message).`,
    );
  }
  if (frame === '') {
    throw new SseFrameError('frame', 'An SSE event needs at least one of data, event, id, retry or comment.');
  }
  return `${frame}\n`;
}

/**
 * Encodes a comment line (`: text`), which every client ignores: the
 * keep-alive that stops proxies from cutting an idle stream. A multi-line text
 * gets `:` on every line.
 */
export function encodeComment(text: string): string {
  return multiline('', text);
}

/** Encodes a frame that only sets the client's reconnection delay. */
export function encodeRetry(retryMs: number): string {
  assertRetry(retryMs);
  return `retry: ${retryMs}\n\n`;
}
