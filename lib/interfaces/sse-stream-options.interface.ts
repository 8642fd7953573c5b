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
}

/** The stream options with every default filled in. */
export type ResolvedSseStreamOptions = Required<SseStreamOptions>;
