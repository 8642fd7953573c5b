/** The fields of an SSE event that can be refused by the encoder. */
export type SseFrameField = 'data' | 'event' | 'id' | 'retry' | 'comment' | 'frame';

/**
 * Thrown when a value cannot be framed as a Server-Sent Event without changing
 * its meaning: a line break or NUL in an `event` name or `id`, a `retry` that is
 * not a non-negative integer, an event named `open` or `error`, data that cannot
 * be serialized. Nothing is written for the refused event: writing it stripped
 * or as it is would let a caller forge events on the wire.
 */
export class SseFrameError extends Error {
  override readonly name = 'SseFrameError';

  constructor(
    /** The field that was refused. */
    readonly field: SseFrameField,
    message: string,
  ) {
    super(message);
  }
}
