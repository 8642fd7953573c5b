import type { ConnectionOptions, NatsConnection } from 'nats';

/**
 * How much history the broker keeps in JetStream, for the hub to catch
 * streams up from. The bounds that JetStream enforces itself (`maxEvents`,
 * `maxAgeMs`, `maxBytes`) are stream limits; the others (`maxChannels`,
 * `maxChannelBytes`) the broker enforces when it publishes. A resume from a
 * position older than what was let go of gets `reset: 'expired'`, never a
 * silent gap.
 */
export interface NatsSseHistoryOptions {
  /**
   * Events kept per channel: the stream's `max_msgs_per_subject` (trimmed
   * exactly, by JetStream). Default 1000; 0 keeps none (JetStream then keeps
   * the newest event of each channel, which no read returns: a resume says
   * `expired`).
   */
  maxEvents?: number;
  /** Age in ms past which events are dropped: the stream's `max_age`. 0 (default) keeps them by count only. */
  maxAgeMs?: number;
  /**
   * Channels whose history is kept, in the namespace (all instances). Past
   * it, the history of the channel published to least recently (to within a
   * second) is purged. Default 10000.
   */
  maxChannels?: number;
  /**
   * Payload bytes kept per channel; past it, the channel's oldest events are
   * purged (its newest is always kept, however large). Default 4 MiB.
   */
  maxChannelBytes?: number;
  /**
   * Bytes kept in all channels of the namespace: the stream's `max_bytes`,
   * with the oldest events discarded first. JetStream counts what it stores
   * of each event: the payload plus its subject, its headers and about 30
   * bytes (some 100 to 300 bytes in all per event), so fewer payload bytes
   * fit than the figure says. Default 64 MiB.
   */
  maxBytes?: number;
}

/** Options of `new NatsSseBroker(...)`. */
export interface NatsSseBrokerOptions {
  /**
   * `nats://[user:password@]host:port`, or several (the servers of a cluster).
   * The broker opens one connection from them and closes it on shutdown.
   * Default `nats://127.0.0.1:4222`.
   */
  servers?: string | string[];
  /**
   * A connection of yours to use instead of `servers`: the broker adds its
   * subscriptions and its consumer to it, watches its status, removes them on
   * shutdown and never closes it: it is yours. Connect it with
   * `maxReconnectAttempts: -1` so that it survives an outage.
   */
  connection?: NatsConnection;
  /**
   * More options of the connection opened from `servers` (`user`/`pass`,
   * `token`, `tls`, `name`, ...). The broker sets `reconnect: true`,
   * `maxReconnectAttempts: -1`, `reconnectTimeWait` (from
   * `reconnectDelayMs`) and `reconnectJitter` (a tenth of it, at most 100 ms)
   * unless given here.
   */
  natsOptions?: ConnectionOptions;
  /**
   * The namespace: 1 to 32 letters, digits, `_` or `-`. It names the
   * JetStream objects of the broker (streams `SSE_EVENTS_<namespace>` and
   * `SSE_CHANNELS_<namespace>`, KV bucket `SSE_LOCKS_<namespace>`) and its
   * subjects (`sse.<namespace>.>`). Instances with the same namespace on one
   * NATS system share positions, history and delivery. Default `'sse'`.
   */
  namespace?: string;
  /** History kept per channel, and its bounds. */
  history?: NatsSseHistoryOptions;
  /**
   * How long (ms) the namespace remembers the `idempotencyKey` of a publish:
   * the stream's `duplicate_window` (at most `maxAgeMs` when that is set, as
   * JetStream requires). A publish with the same key on the same channel
   * within it, from any instance, stores and delivers nothing and resolves to
   * the first one's position. Default 3600000 (1 hour).
   */
  idempotencyTtlMs?: number;
  /**
   * Accepted for compatibility with the other brokers and checked, but
   * JetStream bounds its table of message ids by time only (`idempotencyTtlMs`),
   * not by count: it holds every key published within the window. Default 10000.
   */
  maxIdempotencyKeys?: number;
  /**
   * How long every call a request waits on (publish, send, read, head, a
   * schedule lock) waits for NATS before it rejects with
   * `NatsSseUnavailableError` (a 503). A publish or send that timed out may
   * have been done all the same: its error says so (`maybePublished`). Default 5000.
   */
  commandTimeoutMs?: number;
  /**
   * How long the app's startup waits for NATS. Past it, the app starts anyway
   * (logging a warning) and the broker connects when NATS is reachable. Default 10000.
   */
  connectTimeoutMs?: number;
  /** The wait (ms) between attempts to reach NATS, at startup and after the connection is lost. Default 1000. */
  reconnectDelayMs?: number;
}
