import type { Pool } from 'pg';

/**
 * How much history the broker keeps in PostgreSQL (table `sse_events`), for
 * the hub to catch streams up from. Every bound is enforced by the publish
 * function, in the publish's transaction; a resume from a position older
 * than what was let go of gets `reset: 'expired'`, never a silent gap.
 * Payload bytes are counted (UTF-8): PostgreSQL adds its own overhead (rows,
 * indexes, about 60 bytes per event).
 */
export interface PostgresSseHistoryOptions {
  /** Events kept per channel. Default 1000; 0 keeps none (a resume then says `expired`). */
  maxEvents?: number;
  /**
   * Age in ms past which events are not replayed (a resume past them says
   * `expired`); a publish deletes up to 64 of its channel's aged events. 0
   * (default) keeps them by count and bytes only.
   */
  maxAgeMs?: number;
  /**
   * Channels whose history is kept, in the namespace (all instances). Past
   * it, the history of the channel published to least recently is deleted.
   * Default 10000.
   */
  maxChannels?: number;
  /** Payload bytes kept per channel; past it, its oldest events are deleted (never its newest). Default 4 MiB. */
  maxChannelBytes?: number;
  /**
   * Payload bytes kept in all channels of the namespace; past it, whole
   * histories are deleted, of the channels published to least recently
   * first. Default 64 MiB.
   */
  maxBytes?: number;
}

/** Options of `new PostgresSseBroker(...)`. */
export interface PostgresSseBrokerOptions {
  /**
   * `postgres://user:password@host:port/database` (any connection string
   * `pg` takes). The broker opens a pool from it for its commands, and one
   * connection of its own that LISTENs; it closes both on shutdown. Default:
   * pg's defaults (the `PG*` environment variables, then localhost:5432).
   */
  url?: string;
  /**
   * A `pg.Pool` of yours to run the broker's commands on, instead of `url`.
   * The broker never ends it; it opens its own LISTEN connection from the
   * pool's options (a pooled connection cannot stay listening).
   */
  pool?: Pool;
  /**
   * The namespace: instances with the same namespace on the same database
   * (and schema) share positions, history and delivery. 1 to 40 characters
   * of `[a-z0-9_]`. Default `'sse'`.
   */
  namespace?: string;
  /** The schema of the broker's tables and functions, created if missing. Default `'public'`. */
  schema?: string;
  /** History kept per channel, and its bounds. */
  history?: PostgresSseHistoryOptions;
  /**
   * How long (ms) the namespace remembers the `idempotencyKey` of a publish:
   * a publish with the same key on the same channel within it, from any
   * instance, stores and delivers nothing and resolves to the first one's
   * position. Default 3600000 (1 hour).
   */
  idempotencyTtlMs?: number;
  /** Idempotency keys the namespace remembers at most (all instances); past it, the oldest is forgotten. Default 10000. */
  maxIdempotencyKeys?: number;
  /**
   * How long every call a request waits on (publish, send, read, head, a
   * schedule lock) waits for PostgreSQL before it rejects with
   * `PostgresSseUnavailableError` (a 503). On the pool the broker opens, it
   * is also the `statement_timeout` and the connection timeout. Default 5000.
   */
  commandTimeoutMs?: number;
  /**
   * How long the app's startup waits for PostgreSQL. Past it, the app starts
   * anyway (logging a warning) and the broker connects when PostgreSQL is
   * reachable. Default 10000.
   */
  connectTimeoutMs?: number;
  /**
   * The first delay (ms) between attempts to connect the LISTEN connection
   * again after it dropped; each next one doubles, up to 16 times it (at most
   * 30 s). Default 1000.
   */
  reconnectDelayMs?: number;
}
