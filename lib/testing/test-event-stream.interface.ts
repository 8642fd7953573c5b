import type { IncomingHttpHeaders } from 'node:http';
import type { SseParsedEvent } from '../protocol/event-stream-parser.js';
import type { SseEventMap, SseEventName } from '../protocol/sse-event-map.js';

/**
 * How a test stream turns an event's `data` into the value `next()` and
 * `take()` resolve with: `'json'` (`JSON.parse`, the default, as the
 * library's default serializer writes JSON), `'text'` (the data string as
 * is), or a function of the data and the parsed event.
 */
export type TestEventDecoder = 'json' | 'text' | ((data: string, event: SseParsedEvent) => unknown);

/**
 * Who ended a test stream's body: `'server'` (the response ended cleanly: the
 * last chunk of an HTTP/1.1 body, END_STREAM or a NO_ERROR reset on HTTP/2),
 * `'client'` (`close()` tore it down first), or `'error'` (the connection was
 * reset or dropped, or the HTTP/2 stream was reset with an error code, before
 * the body ended: see `error`).
 */
export type TestStreamEndedBy = 'server' | 'client' | 'error';

/** An event map that accepts any event name with any payload: what a stream is typed with when no map is given. */
export type AnySseEvents = Record<string, unknown>;

/**
 * One event that `next()` or `take()` consumed: its type, its decoded data
 * (typed with the stream's event map), its own id and the last event id after it.
 */
export interface TestEvent<M extends SseEventMap = AnySseEvents, K extends SseEventName<M> = SseEventName<M>> {
  /** The event type: the `event` field, or `'message'` for an event without one. */
  readonly type: K;
  /** The data, decoded (see `decode`), typed as the event map's payload for `type`. */
  readonly data: M[K];
  /** The data as it arrived: the `data` lines joined with LF. */
  readonly rawData: string;
  /** The block's own `id` field, `undefined` when it had none. */
  readonly id: string | undefined;
  /** The last event id after this event (what a reconnect would send): its own id, or the one before. */
  readonly lastEventId: string;
}

/** Any one event of the map, discriminated by `type`: what `next()` without a type resolves with. */
export type TestEventOf<M extends SseEventMap> = { [K in SseEventName<M>]: TestEvent<M, K> }[SseEventName<M>];

/**
 * A stream opened by `openEventStream()`: the response as it arrives (status,
 * headers, every byte, parsed events, comments, retry hints), ways to await
 * what comes next, and `close()`. Every wait rejects after `timeoutMs` with a
 * message that names what it waited for and shows the end of what arrived, and
 * rejects at once when the stream ends before it.
 *
 * A refused answer (a 401 JSON body, a 204) is read the same way: check
 * `status`, `headers` and `text`, and await `ended` (or `waitForEnd()`).
 */
export interface TestEventStream<M extends SseEventMap = AnySseEvents> {
  /** The response status code. */
  readonly status: number;
  /** The response headers (names in lower case; on HTTP/2 without pseudo-headers). */
  readonly headers: IncomingHttpHeaders;
  /** Every byte of the body received so far, decoded as UTF-8. */
  readonly text: string;
  /** Every event received so far, parsed as a browser would (raw `data` strings, consumed or not). */
  readonly events: readonly SseParsedEvent[];
  /** Every comment line so far (heartbeats), without the colon and the one space after it. */
  readonly comments: readonly string[];
  /** Every valid `retry:` hint so far, in milliseconds. */
  readonly retries: readonly number[];
  /** The last event id so far, moved by events with an id and by id-only blocks ('' before any). */
  readonly lastEventId: string;
  /** Whether the body has ended (the server closed the stream, or `close()` was called). */
  readonly isEnded: boolean;
  /**
   * Resolves once the body has ended: the server closed the stream, `close()`
   * tore it down, or the connection failed. Never rejects: read `endedBy` (and
   * `error`) to tell a clean end from a dropped connection.
   */
  readonly ended: Promise<void>;
  /** Who ended the body, once it has ended (`undefined` before). See {@link TestStreamEndedBy}. */
  readonly endedBy: TestStreamEndedBy | undefined;
  /** When `endedBy` is `'error'`: what went wrong (the socket error as its `cause`). `undefined` otherwise. */
  readonly error: Error | undefined;
  /**
   * Resolves with the next event not consumed yet by `next()`/`take()`, of
   * `type` when given (events of other types stay for later calls), decoded.
   */
  next<K extends SseEventName<M>>(type: K): Promise<TestEvent<M, K>>;
  next(): Promise<TestEventOf<M>>;
  /** Resolves with the next `count` events not consumed yet (of `type` when given), consuming them together. */
  take<K extends SseEventName<M>>(count: number, type: K): Promise<TestEvent<M, K>[]>;
  take(count: number): Promise<TestEventOf<M>[]>;
  /** Resolves with `events` once at least `count` events arrived in all (consumed or not; consumes nothing). */
  waitForEvents(count: number): Promise<SseParsedEvent[]>;
  /**
   * Resolves with `text` once it satisfies `expected`: contains the string,
   * matches the RegExp, or makes the predicate return true.
   */
  waitForText(expected: string | RegExp | ((text: string) => boolean)): Promise<string>;
  /** Like `ended`, but rejects after `timeoutMs` with what arrived, rather than leaving it to jest's timeout. */
  waitForEnd(): Promise<void>;
  /** Tears the stream down and releases its socket (HTTP/1.1) or its stream and session (HTTP/2). Idempotent. */
  close(): void;
}
