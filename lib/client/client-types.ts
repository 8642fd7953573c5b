import type { SseEndData } from '../protocol/final-word.js';
import type { SseEventMap, SseEventName } from '../protocol/sse-event-map.js';
import type { EventStreamError } from './event-stream.error.js';

/** One event of type `K` of the event map `M`, as the typed client hands it on. */
export interface EventStreamMessageOf<M extends SseEventMap, K extends SseEventName<M>> {
  /** The event type: the `event` field, or `'message'` for an unnamed event. */
  readonly type: K;
  /** The decoded data (JSON by default), typed by the event map. */
  readonly data: M[K];
  /** The event's own `id` field, `undefined` when it had none. */
  readonly id: string | undefined;
  /** The last event id after this event: the id a reconnect resumes from. */
  readonly lastEventId: string;
}

/** Any event of the event map `M`: a union discriminated on `type` (`if (e.type === 'tick') e.data.n`). */
export type EventStreamMessage<M extends SseEventMap> = {
  [K in SseEventName<M>]: EventStreamMessageOf<M, K>;
}[SseEventName<M>];

/** A listener of events of type `K`: the decoded data first, the whole event second. */
export type EventStreamListener<M extends SseEventMap, K extends SseEventName<M>> = (
  data: M[K],
  event: EventStreamMessageOf<M, K>,
) => void;

/**
 * Where the client is:
 * - `connecting`: the first connect is under way;
 * - `open`: a stream is open (a `200 text/event-stream` answer);
 * - `reconnecting`: the stream ended or failed; the client waits, then connects again;
 * - `closed`: it stopped for good (see `closed`).
 */
export type EventStreamState = 'connecting' | 'open' | 'reconnecting' | 'closed';

/** A change of state, as `onState` listeners get it. */
export interface EventStreamStateChange {
  readonly state: EventStreamState;
  readonly previous: EventStreamState;
  /** On `reconnecting`: how long the client waits before it connects again, ms. */
  readonly retryInMs?: number;
  /** On `reconnecting`: the final word that ended the stream, if the server said one. */
  readonly end?: SseEndData;
  /** On `reconnecting` or `closed`: what went wrong, if anything did. */
  readonly error?: EventStreamError;
}

/**
 * Why the client stopped for good:
 * - `completed`, `revoked`: the server's final word said so (`end` holds it);
 * - `status`: the server answered a status that stops (`204`, `401`, `403`, `404`, other `4xx`): `status`, and `error` but on 204;
 * - `not-event-stream`: a `200` that was not `text/event-stream` (`error`);
 * - `overflow`: a line or an event longer than `maxBufferSize` (`error`);
 * - `request`: the request could not be built (a header value with CR or LF...; `error`);
 * - `aborted`: the `signal` was aborted;
 * - `closed`: `close()` was called, or an async iterator's loop was left.
 */
export type EventStreamCloseReason =
  'completed' | 'revoked' | 'status' | 'not-event-stream' | 'overflow' | 'request' | 'aborted' | 'closed';

/** What `closed` resolves to. */
export interface EventStreamClosed {
  readonly reason: EventStreamCloseReason;
  /** The HTTP status, for `status` (and `not-event-stream`). */
  readonly status?: number;
  /** What went wrong, for `status` (but 204), `not-event-stream`, `overflow` and `request`. */
  readonly error?: EventStreamError;
  /** The final word, for `completed` and `revoked`. */
  readonly end?: SseEndData;
}

/** The data of the hub's reset event (`sse-reset`): the `Last-Event-ID` sent could not be resumed. */
export interface EventStreamReset {
  /** `expired`: older than the history kept; `unknown`: of another history, or ahead of it. */
  readonly reason: 'expired' | 'unknown';
  /** The id the client asked to resume from. */
  readonly lastEventId: string;
}

/** The reset event as it came: its data and the id it carries (the hub's current position). */
export interface EventStreamResetEvent {
  readonly type: string;
  readonly data: EventStreamReset;
  readonly id: string | undefined;
  readonly lastEventId: string;
}

/** Internal (not exported by the entry point): what a connection ended with, when the client connects again. */
export interface Reconnect {
  readonly delayMs: number;
  readonly error?: EventStreamError;
  readonly end?: SseEndData;
}

/** Internal: one connection's own state. */
export interface Connection {
  readonly controller: AbortController;
  end?: SseEndData;
  watchdogFired: boolean;
}
