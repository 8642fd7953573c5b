import type { Observable } from 'rxjs';

/**
 * A position in a namespace's one sequence of channel events: `seq` counts
 * every event published in the namespace, `epoch` names the history the
 * sequence belongs to (a broker that lost its history starts a new one).
 */
export interface SseBrokerPosition {
  readonly epoch: string;
  readonly seq: number;
}

/** A channel event as a broker stores and moves it: an opaque payload at a position. */
export interface SseBrokerEvent {
  readonly channel: string;
  readonly epoch: string;
  readonly seq: number;
  /** What the hub published, as it gave it. Brokers never look inside. */
  readonly payload: string;
}

/**
 * What a broker delivers to every instance (itself included), in order:
 * - `channel`: a stored event of a channel this instance subscribed to,
 *   without duplicates and in seq order across all the channels of the
 *   namespace (the hub keeps one position per stream: an event older than one
 *   it has delivered counts as delivered);
 * - `broadcast`, `connection`, `user`, `disconnect`, `revoke`: messages that
 *   are not stored, for every stream, one stream, a user's streams, to end
 *   one, or to end every stream of a user or a session;
 * - `gap`: the broker may have missed messages (its link dropped) and is
 *   receiving again; everything of the subscribed channels after `after` must
 *   be read from history. Sent before any message received after it.
 */
export type SseBrokerMessage =
  | ({ readonly type: 'channel'; readonly except?: string } & SseBrokerEvent)
  | { readonly type: 'broadcast'; readonly payload: string; readonly except?: string }
  | { readonly type: 'connection'; readonly connectionId: string; readonly payload: string }
  | { readonly type: 'user'; readonly userId: string; readonly payload: string; readonly except?: string }
  | { readonly type: 'disconnect'; readonly connectionId: string }
  | { readonly type: 'revoke'; readonly target: SseRevocationTarget; readonly id: string }
  | { readonly type: 'gap'; readonly after: SseBrokerPosition };

/** What a `revoke` message ends: every stream of a user, or of a session (see `sessionIdOf`). */
export type SseRevocationTarget = 'user' | 'session';

/** The messages `send()` carries: every one that is not stored. */
export type SseBrokerSentMessage = Extract<
  SseBrokerMessage,
  { type: 'broadcast' | 'connection' | 'user' | 'disconnect' | 'revoke' }
>;

/** One page of history, as `read()` returns it. */
export interface SseHistoryPage {
  /** Events of the channels after the position, in seq order: at most the `limit` asked for. */
  readonly events: readonly SseBrokerEvent[];
  /** Whether events may follow the last one returned: read again from its position. */
  readonly more: boolean;
  /**
   * Set when the position cannot be resumed without a gap: older than the
   * history kept (`expired`), or of another history (`unknown`: another
   * epoch, or ahead of the newest event).
   */
  readonly reset?: 'expired' | 'unknown';
  /** The newest position of the namespace, if it has any event. */
  readonly head?: SseBrokerPosition;
}

/** How `SseBroker.publish()` publishes one event. */
export interface SseBrokerPublishOptions {
  /** A connection id that must not receive the event (delivered as the channel message's `except`). */
  readonly except?: string;
  /**
   * Identifies this publish (1 to 200 printable ASCII characters), within its
   * channel: a publish with a key that the broker has seen on the channel
   * within its window stores and delivers nothing, and resolves to the
   * position of the first. For retries of a publish whose outcome is unknown
   * (a timeout). Each broker documents its window.
   */
  readonly idempotencyKey?: string;
}

/** What a broker may ask of its hub when it connects: read-only figures it shares with other instances. */
export interface SseBrokerContext {
  /** This instance's open streams, in all and per channel. */
  localCounts(): { connections: number; channels: ReadonlyMap<string, number> };
}

/**
 * What a broker says of its link, for health checks and metrics:
 * - `up`: it delivers and stores as it should;
 * - `down`: it cannot reach its backing service: joins, replays and publishes
 *   fail (with 503) until it is back;
 * - `resyncing`: the link is back and the broker is delivering what the
 *   outage may have cost (its `gap`) before it is `up` again.
 */
export interface SseBrokerStatus {
  readonly state: 'up' | 'down' | 'resyncing';
  /** Why, in words (e.g. the last connection error), for logs and health details; never a secret. */
  readonly detail?: string;
  /** When the state last changed (epoch milliseconds). */
  readonly since?: number;
}

/**
 * Moves sequenced, opaque payloads between the instances of an app and
 * stores channel history. `InMemorySseBroker` is the default;
 * `RedisSseBroker` (`nestjs-event-stream/redis`) shares them between
 * instances. A broker knows nothing of SSE: the hub frames what it delivers.
 * Every broker must pass the broker contract suite (`nestjs-event-stream/broker`).
 */
export interface SseBroker {
  /**
   * What the broker receives for this instance, in order. Subscribed by the
   * hub and by `SseRuns` (resumable runs): a hot stream (a `Subject`) that
   * every subscriber sees alike, from when it subscribed.
   */
  readonly messages$: Observable<SseBrokerMessage>;
  /** Starts the broker. */
  connect(context?: SseBrokerContext): Promise<void> | void;
  /**
   * Assigns the namespace's next position to a payload of `channel`, stores it
   * and delivers it to every instance; with an `idempotencyKey` seen before,
   * only resolves to the position it had. Throws (or rejects with) a
   * `TypeError` naming a bad option.
   */
  publish(
    channel: string,
    payload: string,
    options?: SseBrokerPublishOptions,
  ): Promise<SseBrokerPosition> | SseBrokerPosition;
  /** Delivers a message that is not stored to every instance. */
  send(message: SseBrokerSentMessage): Promise<void> | void;
  /** This instance has streams in `channel` now: deliver its events here. Resolves once that holds. */
  subscribe(channel: string): Promise<void> | void;
  /** This instance has no stream left in `channel`. */
  unsubscribe(channel: string): Promise<void> | void;
  /**
   * The namespace's newest position: that of the last event published, or
   * seq 0 of the epoch its first publish will get while it has none (a
   * broker that stores its epoch creates it here). Resolves only once every
   * event up to it of the channels this instance subscribed to has been
   * delivered on `messages$` (or, after an outage, is covered by the `gap`
   * delivered before), so that whatever arrives after is newer: the hub
   * starts a stream that has no `Last-Event-ID` there. Rejects like `read()`
   * when the broker cannot answer.
   */
  head(): Promise<SseBrokerPosition> | SseBrokerPosition;
  /** At most `limit` stored events of `channels` after `after`, in seq order. */
  read(channels: readonly string[], after: SseBrokerPosition, limit: number): Promise<SseHistoryPage> | SseHistoryPage;
  /** Releases every resource (connections, timers) and completes `messages$`. */
  close(): Promise<void> | void;
  /** The link's state now (optional: a broker without it counts as always `up`). Cheap and synchronous. */
  status?(): SseBrokerStatus;
}
