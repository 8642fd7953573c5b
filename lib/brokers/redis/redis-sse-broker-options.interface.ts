import type { Redis, RedisOptions } from 'ioredis';

/** How much history each channel keeps in Redis, for the hub to catch streams up from. */
export interface RedisSseHistoryOptions {
  /** Events kept per channel (trimmed exactly). Default 1000; 0 keeps none (a resume then says `expired`). */
  maxEvents?: number;
  /** Age in ms past which events are dropped; 0 (default) keeps them by count only. */
  maxAgeMs?: number;
  /**
   * A channel's history is deleted after this many ms without a publish, so
   * that channels no one uses do not grow Redis without bound. A resume from
   * a position older than that, for a channel whose history is gone, says
   * `expired` rather than leaving a silent gap. Default: `maxAgeMs` if set,
   * else 24 hours.
   */
  idleTtlMs?: number;
}

/** Options of `new RedisSseBroker(...)`. */
export interface RedisSseBrokerOptions {
  /**
   * `redis://[[user]:password@]host[:port][/db]` (or `rediss://` for TLS).
   * The broker opens two connections from it (commands, and one subscriber)
   * and closes them on shutdown. Default: ioredis's default, 127.0.0.1:6379.
   */
  url?: string;
  /**
   * An ioredis client of yours to run commands on, instead of `url`. The
   * broker duplicates it for its subscriber connection (which it closes on
   * shutdown), attaches its listeners to it, and never quits it: it is yours.
   */
  client?: Redis;
  /** More ioredis options for the connections opened from `url` (TLS, password, retryStrategy, ...). */
  redisOptions?: RedisOptions;
  /**
   * The namespace: the prefix of every key and Pub/Sub channel. Instances
   * with the same prefix on the same Redis share positions, history and
   * delivery. Pub/Sub ignores database numbers, so use a distinct prefix per
   * app on one Redis server. Default `'sse:'`.
   */
  keyPrefix?: string;
  /** History kept per channel. */
  history?: RedisSseHistoryOptions;
  /**
   * How long an operation waits for Redis before it rejects with
   * `RedisSseUnavailableError`: a publish or send on a dead connection, a
   * join (subscribe) while Redis is away. Default 5000.
   */
  commandTimeoutMs?: number;
  /**
   * How long the app's startup waits for Redis. Past it, the app starts
   * anyway (logging a warning) and connects when Redis is reachable. Default 10000.
   */
  connectTimeoutMs?: number;
  /**
   * How often this instance writes its stream counts to Redis for
   * `clusterCount()`; entries of an instance that stopped writing are ignored
   * after three intervals. 0 turns cluster statistics off. Default 5000.
   */
  statsIntervalMs?: number;
  /**
   * Messages kept in memory while the subscriber connection is being set up
   * again after a reconnection (they are delivered once it is). Past it, the
   * channel events held are let go of, which loses nothing: the `gap` the
   * broker then reports makes the hub read them from history. Broadcasts and
   * targeted sends past it, which are stored nowhere, are dropped with a
   * warning. Default 1000.
   */
  maxHeldMessages?: number;
}
