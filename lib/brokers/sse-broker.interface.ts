import type { SseScheduleLock } from '../schedule/sse-schedule-lock.interface.js';

/**
 * What travels between hub instances. Frames are complete SSE frames, encoded
 * once by the publishing hub.
 */
export type SseHubMessage =
  | {
      type: 'channel';
      channel: string;
      /** The event's position in the namespace's one sequence. */
      seq: number;
      id: string;
      frame: string;
      /** A connection id that must not receive it (the sender's). */
      except?: string;
    }
  | { type: 'broadcast'; frame: string; except?: string }
  | { type: 'connection'; connectionId: string; frame: string }
  | { type: 'user'; userId: string; frame: string; except?: string }
  | { type: 'disconnect'; connectionId: string };

/** A stored channel event. */
export interface SseStoredEvent {
  channel: string;
  seq: number;
  id: string;
  frame: string;
}

/** What a replay found. */
export interface SseReplay {
  /** The missed events of the requested channels, in sequence order. */
  events: SseStoredEvent[];
  /**
   * Set when the requested position cannot be resumed without a gap: it is
   * older than the history kept (`expired`), or from another history
   * (`unknown`: another epoch, or ahead of this one).
   */
  reset?: 'expired' | 'unknown';
  /** The id of the newest event of the namespace, if any. */
  headId?: string;
}

/**
 * What the hub offers an adapter besides `deliver` (all optional: an adapter
 * uses what it needs, a hub may offer none).
 */
export interface SseHubAdapterHooks {
  /**
   * For adapters that can miss messages (a lost connection to a broker): once
   * delivery is back, call it (before delivering anything received since)
   * with the position up to which this instance had received every event of
   * its channels. The hub then replays, for each stream it holds, the events
   * of its channels after that position (or after the last one it wrote to
   * the stream, if newer), without duplicates, before what arrives next.
   */
  resync?(after: { epoch: string; seq: number }): void;
  /** This instance's open streams, in all and per joined channel (for cluster-wide statistics). */
  localCounts?(): { connections: number; channels: ReadonlyMap<string, number> };
}

/**
 * Storage and transport of the hub: ids, history and fan-out between
 * instances. `InMemorySseAdapter` is the default; `RedisSseAdapter`
 * (`nestjs-event-stream/redis`) shares them between instances. Every adapter must pass
 * the shared contract suite (`test/adapters/hub-adapter.contract.ts`).
 */
export interface SseHubAdapter {
  /** Starts the adapter. Every message for this instance, from any instance (itself included), goes to `deliver`. */
  connect(deliver: (message: SseHubMessage) => void, hooks?: SseHubAdapterHooks): Promise<void> | void;
  /**
   * Assigns the next id of the namespace to an event of `channel`, stores it
   * in the channel's history and delivers it to every instance (as a `channel`
   * message whose frame is `id: <id>\n` followed by `body`). Resolves to the id.
   */
  publish(channel: string, body: string, except?: string): Promise<string> | string;
  /** Delivers a message that is not stored (broadcast, to a connection or a user, disconnect) to every instance. */
  send(message: Exclude<SseHubMessage, { type: 'channel' }>): Promise<void> | void;
  /** This instance has connections in `channel` now: deliver its events here. */
  subscribe(channel: string): Promise<void> | void;
  /** This instance has no connection left in `channel`. */
  unsubscribe(channel: string): Promise<void> | void;
  /** The stored events of `channels` after the position `after`, in sequence order. */
  replay(channels: readonly string[], after: { epoch: string; seq: number }): Promise<SseReplay> | SseReplay;
  /** Releases every resource (connections, timers). */
  close(): Promise<void> | void;
  /**
   * The lock scheduled broadcasts ask before each tick, shared by every
   * instance on this adapter (so that one instance runs each tick). Without
   * it, every instance runs every tick (`InMemorySseScheduleLock`).
   */
  readonly lock?: SseScheduleLock;
}
