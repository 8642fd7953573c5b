/**
 * The counters of one instance, since it started. One object, owned by the
 * stream registry; the hub and the streams add to it, `SseHub.stats()` reads it.
 */
export class SseCounters {
  /** Events published through this instance. */
  eventsPublished = 0;
  /** Frames handed to a stream (one per stream per event). */
  delivered = 0;
  /** Frames a stream refused (it had closed, or was closed for being too slow). */
  dropped = 0;
  /** Streams closed because their client did not read fast enough. */
  slowClientDisconnects = 0;
  /** Streams that resumed from a `Last-Event-ID`, and the events replayed to them. */
  replays = 0;
  replayedEvents = 0;
  /** Resets sent (`sse-reset`): a position could not be resumed without a gap. */
  resets = 0;
}
