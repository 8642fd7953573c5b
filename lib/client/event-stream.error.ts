/**
 * What went wrong, as a machine-readable code:
 * - `status`: the server answered a status that stops the client (401, 403, 404, other 4xx).
 * - `retry-status`: the server answered 408, 429, 503 or another 5xx: the client retries.
 * - `not-event-stream`: a 200 whose Content-Type is not `text/event-stream`.
 * - `network`: the request failed or the connection dropped before an end was said.
 * - `watchdog`: nothing arrived for `heartbeat.timeoutMs`.
 * - `headers`: the `headers` function threw or rejected.
 * - `decode`: an event's data could not be decoded (the event was skipped).
 * - `final-word`: the server ended the stream with the final word `error`.
 * - `overflow`: a line or an event was longer than `maxBufferSize`.
 * - `listener`: a listener of yours threw.
 * - `request`: the request could not be built (a header value with CR or LF...): the client stopped for good.
 */
export type EventStreamErrorCode =
  | 'status'
  | 'retry-status'
  | 'not-event-stream'
  | 'network'
  | 'watchdog'
  | 'headers'
  | 'decode'
  | 'final-word'
  | 'overflow'
  | 'listener'
  | 'request';

/** The details an {@link EventStreamError} carries. */
export interface EventStreamErrorInit {
  /** The HTTP status, when the error is about an answer (or the `status` of a final word `error`). */
  status?: number;
  /** The server's own message: a JSON body's `message` (bounded in size), or a final word's. */
  serverMessage?: string;
  /** The response's Content-Type, when it is about one. */
  contentType?: string;
  /** How long the client waits before it reconnects, when it does. */
  retryInMs?: number;
  /** What caused it (a network error, a listener's error...). */
  cause?: unknown;
}

/** An error of the typed event-stream client, reported to `onError` listeners and in `closed`. */
export class EventStreamError extends Error {
  /** The HTTP status, when the error is about an answer. */
  readonly status?: number;
  /** The server's own message, when it said one (bounded in size). */
  readonly serverMessage?: string;
  /** The response's Content-Type, when it is about one. */
  readonly contentType?: string;
  /** How long the client waits before it reconnects; `undefined` when it stopped for good. */
  readonly retryInMs?: number;

  constructor(
    readonly code: EventStreamErrorCode,
    message: string,
    init: EventStreamErrorInit = {},
  ) {
    super(message, init.cause === undefined ? undefined : { cause: init.cause });
    this.name = 'EventStreamError';
    this.status = init.status;
    this.serverMessage = init.serverMessage;
    this.contentType = init.contentType;
    this.retryInMs = init.retryInMs;
  }
}
