import type { SseClient, SseCloseReason } from '../stream/sse-client.interface.js';
import type { SseRefusalStatus } from '../stream/sse-counters.js';
import type { SseBrokerStatus } from '../brokers/sse-broker.interface.js';

export type { SseRefusalStatus } from '../stream/sse-counters.js';

/** How `SseHub.join()` joins a stream. */
export interface SseJoinOptions {
  /**
   * An event id of the hub: a stream without a `Last-Event-ID` of the hub
   * (its own wins) is replayed the events of its channels after it, instead
   * of starting at the newest. Meant for a stream's first join: a later join
   * of the same stream goes on from the stream's own position when that is
   * newer. A bad id is a `TypeError`.
   */
  after?: string;
}

/** Who should not receive an event: a connection id, or the client itself (usually the sender's). */
export type SseExcept = string | SseClient;

/** How `SseHub.publish()`, `broadcast()` and `sendToUser()` send an event. */
export interface SsePublishOptions {
  /** A connection that must not receive the event (e.g. the sender's own stream). */
  except?: SseExcept;
  /**
   * `publish()` only: identifies this publish within its channel, as 1 to 200
   * printable ASCII characters (a request id, an `Idempotency-Key` header). A
   * publish with a key the broker has seen on the channel within its window
   * (1 hour by default, `idempotencyTtlMs`) stores and delivers nothing and
   * resolves to the first one's id: retry a publish that failed with "may have
   * been published" with the same key, and the event is stored once. A bad
   * key is a `TypeError`. Broadcasts and targeted sends are not stored, and
   * ignore it.
   */
  idempotencyKey?: string;
}

/** What `SseHub.revoke()` ends on every instance: every stream of a user, or of a session (see `sessionIdOf`). */
export type SseRevocation =
  { userId: string | number; sessionId?: never } | { sessionId: string | number; userId?: never };

/** Which open streams `SseHub.connections()` returns. */
export type SseConnectionFilter = { channel?: string; userId?: string | number } | ((client: SseClient) => boolean);

/** Counters of one instance, since it started. */
export interface SseHubStats {
  /** Open streams. */
  connections: number;
  /** Channels with at least one stream of this instance. */
  channels: number;
  /** Events published through this instance (`publish`) that the broker stored (a failed publish is not counted). */
  eventsPublished: number;
  /** Frames handed to a stream (one per stream per event). */
  delivered: number;
  /** Frames a stream refused (it had closed, or was closed for being too slow). */
  dropped: number;
  /** Streams closed because their client did not read fast enough. */
  slowClientDisconnects: number;
  /** Streams that resumed from a `Last-Event-ID`, and the events replayed to streams from history. */
  replays: number;
  replayedEvents: number;
  /** `sse-reset` events sent: a position could not be resumed without a gap. */
  resets: number;
  /** Timers running: heartbeats (one per distinct period in use) and deadlines (one for all streams). */
  timers: { heartbeat: number; deadlines: number };
  /** Streams that opened (sent their headers). */
  opened: number;
  /** Open streams that closed, by reason (every reason, 0 for those that did not happen). */
  closed: Record<SseCloseReason, number>;
  /**
   * Requests the library refused before any stream byte, by status: 401
   * (`SseAuthGuard`), 403 (the channel authorizer), 429
   * (`maxConnectionsPerUser`, `maxAnonymousConnectionsPerAddress`), 503
   * (`maxConnections`, shutdown, a broker that could not join or replay, an
   * unreachable ticket store): once per request, where it was decided. Not
   * counted: your own guards' and pipes' refusals, a `HEAD`, a 401 of a
   * credential that expires while its stream is opening, a failed join of a
   * stream already open.
   */
  refused: Record<SseRefusalStatus, number>;
  /** Bytes handed to the platform's responses: frames, `retry:` hints, heartbeats, final words (not headers). */
  bytesWritten: number;
  /** Values that could not be framed (`SseFrameError`): skipped, or ending the stream (`onFrameError: 'end'`). */
  frameErrors: number;
  /** Open streams by route pattern (`/rooms/:room/events`, `unknown` if the platform did not say): every route that had one, 0 included. */
  openByRoute: Record<string, number>;
  /** The broker's link (`status()` of the broker; `{ state: 'up' }` for a broker that does not report one). */
  brokerStatus: SseBrokerStatus;
}
