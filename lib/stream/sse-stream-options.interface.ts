import type { SseSerializer } from '../protocol/sse-serializer.js';

/** What a stream does when one of its values cannot be framed (see `SseFrameError`). */
export type SseFrameErrorPolicy = 'skip' | 'end';

/**
 * Options of one stream. Set for every stream in `SseModule.forRoot()`, and
 * per route in `@EventStream(path, options)`, which wins.
 */
export interface SseStreamOptions {
  /** Milliseconds of silence after which a `: heartbeat` comment is written. 0 turns it off. Default 15000. */
  heartbeatMs?: number;
  /** The `retry:` hint (milliseconds, at most 2147483647) sent first on every stream: the reconnect delay of browsers. Default 3000. */
  retryMs?: number;
  /**
   * Spreads each stream's first `retry:` hint over `retryMs` ± this fraction
   * of it (0.2: 2400 to 3600 ms), so that clients dropped together (a deploy,
   * a network blip) do not all reconnect in the same millisecond. 0 sends
   * `retryMs` exactly. A fraction from 0 to 1. Default 0.2.
   */
  retryJitter?: number;
  /**
   * Ends each stream after this many milliseconds (minus up to
   * `maxLifetimeJitter` of it), with the final word `lifetime`: the client
   * reconnects with its `Last-Event-ID` and loses nothing of a hub channel.
   * For load balancers and serverless platforms that cut long requests, and
   * for credentials that must be checked again now and then. 0 (the default)
   * lets streams live as long as their source.
   */
  maxLifetimeMs?: number;
  /**
   * The fraction of `maxLifetimeMs` taken off at random per stream (0.1: a
   * 600000 ms lifetime ends between 540000 and 600000 ms), so that streams
   * opened together do not end together. Never longer than `maxLifetimeMs`.
   * A fraction from 0 to 0.5. Default 0.1.
   */
  maxLifetimeJitter?: number;
  /**
   * The name of the final word: the one event a stream sends when the
   * server ends it, whose data says why (`{"reason":"completed"}`, see
   * `SseEndReason` and docs/lifecycle.md). `false` sends none (a stream then
   * just ends, as Nest's `@Sse()` does). Default `'sse-end'`.
   */
  endEventName?: string | false;
  /** Bytes a connection may have unsent before it is closed as a slow client. Default 1 MiB. */
  maxBufferedBytes?: number;
  /** Turns non-string `data` into text. Default `JSON.stringify`. */
  serializer?: SseSerializer;
  /**
   * @deprecated The final word of a failed stream is now `endEventName`
   * (`{"reason":"error","status":500,"message":"Internal server error"}`).
   * Set, this names that one final word instead, as before (its data gains
   * `reason`). Default: not set.
   */
  errorEventName?: string;
  /** `'skip'` (default) logs and drops a value that cannot be framed, and the stream goes on; `'end'` ends the stream. */
  onFrameError?: SseFrameErrorPolicy;
  /**
   * `true` reads every stream value as Nest's `MessageEvent`
   * (`{ data, type, id, retry, comment }`) and writes it exactly as `@Sse()`
   * does: `type` as the event name, and ids `1`, `2`, ... for values without
   * one. The framing rules still apply: a field that cannot be framed is an
   * `SseFrameError`, never stripped. `sseEvent()` envelopes work as always.
   *
   * Unset (the default), values are the `data` of plain messages, and the
   * first value of a route that looks like a `MessageEvent` logs one warning
   * naming this option; `false` keeps that behaviour without the warning.
   */
  messageEvents?: boolean;
}

/** The stream options with every default filled in (`messageEvents` and `errorEventName` stay unset unless given). */
export type ResolvedSseStreamOptions = Required<Omit<SseStreamOptions, 'messageEvents' | 'errorEventName'>> &
  Pick<SseStreamOptions, 'messageEvents' | 'errorEventName'>;
