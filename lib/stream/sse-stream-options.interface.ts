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
  /** The `retry:` hint (milliseconds) sent first on every stream. Default 3000. */
  retryMs?: number;
  /** Bytes a connection may have unsent before it is closed as a slow client. Default 1 MiB. */
  maxBufferedBytes?: number;
  /** Turns non-string `data` into text. Default `JSON.stringify`. */
  serializer?: SseSerializer;
  /** The event name of the one sanitized event sent when a stream fails after it started. Default `'stream-error'`. */
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

/** The stream options with every default filled in (`messageEvents` stays unset unless given). */
export type ResolvedSseStreamOptions = Required<Omit<SseStreamOptions, 'messageEvents'>> &
  Pick<SseStreamOptions, 'messageEvents'>;
