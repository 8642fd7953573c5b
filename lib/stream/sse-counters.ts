import type { SseCloseReason } from './sse-client.interface.js';

/** The statuses the library refuses a stream with, before any stream byte (see `SseCounters.refused`). */
export type SseRefusalStatus = 401 | 403 | 429 | 503;

/** Every close reason, once: a reason added to `SseCloseReason` and not here fails to compile. */
const CLOSE_REASONS = Object.keys({
  'client-closed': 0,
  completed: 0,
  error: 0,
  'frame-error': 0,
  'slow-client': 0,
  disconnected: 0,
  shutdown: 0,
  lifetime: 0,
  'auth-expired': 0,
  revoked: 0,
  'no-content': 0,
} satisfies Record<SseCloseReason, 0>) as SseCloseReason[];

/**
 * The counters of one instance, since it started. One object, owned by the
 * stream registry; the hub and the streams add to it (refusals go through
 * `SseStreamRegistry.refused()`), `SseHub.stats()` reads it. Integer adds only: metrics exporters read
 * them when scraped, nothing is pushed.
 */
export class SseCounters {
  /** Events published through this instance that the broker stored. */
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
  /** Streams that opened (sent their headers). */
  opened = 0;
  /** Open streams that closed, by reason. */
  readonly closed: Record<SseCloseReason, number> = Object.fromEntries(
    CLOSE_REASONS.map((reason) => [reason, 0]),
  ) as Record<SseCloseReason, number>;
  /**
   * Streams the library refused before any stream byte: 401 (`SseAuthGuard`),
   * 403 (the channel authorizer), 429 (per-user and per-address limits), 503
   * (`maxConnections`, shutdown, a broker that cannot subscribe or replay, the
   * guard's ticket store).
   */
  readonly refused: Record<SseRefusalStatus, number> = { 401: 0, 403: 0, 429: 0, 503: 0 };
  /** Bytes handed to the platform's responses (headers not included). */
  bytesWritten = 0;
  /** Values a stream could not frame (`SseFrameError`), skipped or ending the stream (`onFrameError`). */
  frameErrors = 0;
  /** Open streams by route pattern (`/rooms/:room/events`), every route that has had one. */
  private readonly byRoute = new Map<string, number>();

  /** A stream of `route` opened. */
  streamOpened(route: string): void {
    this.opened++;
    this.byRoute.set(route, (this.byRoute.get(route) ?? 0) + 1);
  }

  /** An open stream of `route` closed. */
  streamClosed(route: string, reason: SseCloseReason): void {
    this.closed[reason] = (this.closed[reason] ?? 0) + 1;
    // A route stays once seen, at 0: a gauge that drops to 0 rather than vanishing (routes are code: bounded).
    this.byRoute.set(route, Math.max(0, (this.byRoute.get(route) ?? 0) - 1));
  }

  /** Counts a refusal, for the statuses counted. */
  refusal(status: number): void {
    if (status === 401 || status === 403 || status === 429 || status === 503) this.refused[status]++;
  }

  /** Open streams by route, as a new object. */
  openByRoute(): Record<string, number> {
    return Object.fromEntries(this.byRoute);
  }
}
