import type { SseEndData } from '../protocol/final-word.js';
import { ClientMessages } from './client.messages.js';
import type { EventStreamReset } from './client-types.js';
import { EventStreamError } from './event-stream.error.js';
import { checkRequest, errorText, parseJsonObject } from './request.js';

/**
 * The errors the client reports (most of which it goes on after), and the payloads of its
 * own events (the final word, the reset), read defensively.
 */

/**
 * The error of a connect that failed before or while it streamed and after
 * which the client reconnects in `delayMs`: a network error, the watchdog,
 * or the `headers` function.
 */
export function failureError(
  code: 'network' | 'watchdog' | 'headers',
  cause: unknown,
  delayMs: number,
  heartbeatTimeoutMs: number,
): EventStreamError {
  const message =
    code === 'watchdog'
      ? ClientMessages.watchdog(heartbeatTimeoutMs, delayMs)
      : code === 'headers'
        ? ClientMessages.headers(errorText(cause), delayMs)
        : ClientMessages.network(errorText(cause), delayMs);
  return new EventStreamError(code, message, { cause, retryInMs: delayMs });
}

/**
 * The error of a request that cannot be built (`checkRequest` threw: a
 * header value with CR or LF...), after which the client stops for good: no
 * retry could fix it. `undefined` when the request is fine.
 */
export function requestError(url: string, init: RequestInit): EventStreamError | undefined {
  try {
    checkRequest(url, init);
    return undefined;
  } catch (cause) {
    return new EventStreamError('request', ClientMessages.request(errorText(cause)), { cause });
  }
}

/** The error of an event whose data could not be decoded (it is skipped). */
export function decodeError(type: string, cause: unknown): EventStreamError {
  return new EventStreamError('decode', ClientMessages.decode(type, errorText(cause)), { cause });
}

/** The error of an answer the client retries (408, 429, 5xx). */
export function retryStatusError(status: number, delayMs: number): EventStreamError {
  return new EventStreamError('retry-status', ClientMessages.retryStatus(status, delayMs), {
    status,
    retryInMs: delayMs,
  });
}

/** The error of a final word `error` (its `status` and `message`). */
export function finalWordError(end: SseEndData, delayMs: number): EventStreamError {
  const status = typeof end.status === 'number' ? end.status : undefined;
  const serverMessage = typeof end.message === 'string' ? end.message : undefined;
  const message = ClientMessages.finalWordError(status, serverMessage, delayMs);
  return new EventStreamError('final-word', message, { status, serverMessage, retryInMs: delayMs });
}

/**
 * The data of a final word: its JSON object when it has a `reason`; a final
 * word the client cannot read counts as `error` (reconnect with backoff).
 */
export function finalWordOf(data: string): SseEndData {
  const end = parseJsonObject(data);
  return end && typeof end.reason === 'string'
    ? (end as unknown as SseEndData)
    : { reason: 'error', message: 'unreadable final word' };
}

/** The data of a reset event; one the client cannot read counts as `unknown`. */
export function resetOf(data: string): EventStreamReset {
  const reset = parseJsonObject(data);
  const reason = reset?.reason === 'expired' ? 'expired' : 'unknown';
  return { reason, lastEventId: typeof reset?.lastEventId === 'string' ? reset.lastEventId : '' };
}
