/**
 * When the typed client stops for good and when it reconnects: pure
 * functions of what the server answered or said, so that the rules are one
 * table, tested on their own.
 */

/** What to do with an HTTP answer to a connect. */
export type ResponseDecision =
  /** `200 text/event-stream`: read the stream. */
  | { readonly action: 'open' }
  /** Stop for good: `kind` says why (`no-content` is 204, the server's "stop"). */
  | { readonly action: 'stop'; readonly kind: 'no-content' | 'status' | 'not-event-stream' }
  /** Reconnect with backoff, honouring `Retry-After` when `retryAfter` is true. */
  | { readonly action: 'retry'; readonly retryAfter: boolean };

/**
 * The rule for an answer's status and Content-Type:
 * - `200` with `text/event-stream` opens; a `200` of another type stops (not an event stream);
 * - `204` stops (the server's "nothing more to stream");
 * - `408` (request timeout), `429` and `5xx` retry with backoff, honouring `Retry-After` on `429` and `503`;
 * - every other status (`401`, `403`, `404`, other `4xx`, `1xx`-`3xx` left after redirects) stops for good.
 */
export function decideOnResponse(status: number, contentType: string | null | undefined): ResponseDecision {
  if (status === 200) {
    return isEventStreamType(contentType) ? { action: 'open' } : { action: 'stop', kind: 'not-event-stream' };
  }
  if (status === 204) return { action: 'stop', kind: 'no-content' };
  if (status === 408 || status === 429 || (status >= 500 && status <= 599)) {
    return { action: 'retry', retryAfter: status === 429 || status === 503 };
  }
  return { action: 'stop', kind: 'status' };
}

/** Whether a Content-Type is `text/event-stream` (parameters such as `charset` allowed, case-insensitive). */
export function isEventStreamType(contentType: string | null | undefined): boolean {
  if (!contentType) return false;
  return contentType.split(';', 1)[0].trim().toLowerCase() === 'text/event-stream';
}

/** What to do after the server's final word. */
export type FinalWordDecision =
  /** Stop for good (`completed`, `revoked`). */
  | 'close'
  /** Reconnect after the server's `retry:` hint and resume (`shutdown`, `lifetime`, `disconnected`, `auth-expired`). */
  | 'reconnect'
  /** Reconnect with backoff and resume (`error`, and any reason this client does not know). */
  | 'backoff';

/**
 * The rule for a final word's `reason`: `completed` and `revoked` close for
 * good; `shutdown`, `lifetime`, `disconnected` and `auth-expired` reconnect
 * after the retry hint (the `headers` function runs again, so an expired
 * credential is refreshed); `error`, and a reason unknown to this client,
 * reconnect with backoff.
 */
export function decideOnFinalWord(reason: unknown): FinalWordDecision {
  switch (reason) {
    case 'completed':
    case 'revoked':
      return 'close';
    case 'shutdown':
    case 'lifetime':
    case 'disconnected':
    case 'auth-expired':
      return 'reconnect';
    default:
      return 'backoff';
  }
}

/** The most characters of a server's error message kept in an error. */
export const MAX_SERVER_MESSAGE_LENGTH = 300;

/**
 * The message of an error body as Nest sends it (`{"message": "..."}` or
 * `{"message": ["...", "..."]}`), bounded to {@link MAX_SERVER_MESSAGE_LENGTH}
 * characters; `undefined` when the body is not such JSON.
 */
export function serverMessageOf(body: string): string | undefined {
  let parsed: unknown;
  try {
    parsed = JSON.parse(body);
  } catch {
    return undefined;
  }
  if (parsed === null || typeof parsed !== 'object') return undefined;
  const message = (parsed as { message?: unknown }).message;
  const text = Array.isArray(message)
    ? message.filter((part) => typeof part === 'string').join(', ')
    : typeof message === 'string'
      ? message
      : undefined;
  if (!text) return undefined;
  return text.length > MAX_SERVER_MESSAGE_LENGTH ? `${text.slice(0, MAX_SERVER_MESSAGE_LENGTH)}…` : text;
}
