import type { Cluster, ClusterOptions, Redis, RedisOptions } from 'ioredis';

/**
 * How much history the broker keeps in Redis, for the hub to catch streams up
 * from. Every bound is enforced by the publish script, atomically; a resume
 * from a position older than what was let go of gets `reset: 'expired'`,
 * never a silent gap. Payload bytes are counted: Redis adds its own overhead
 * (about 100 bytes per event and per channel).
 */
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
   * else 1 hour (3600000).
   */
  idleTtlMs?: number;
  /**
   * Channels whose history is kept, in the namespace (all instances). Past
   * it, the history of the channel published to least recently is deleted.
   * Default 10000.
   */
  maxChannels?: number;
  /**
   * Payload bytes kept per channel; past it, the channel's oldest events are
   * trimmed (its newest is always kept, however large). Default 4 MiB.
   */
  maxChannelBytes?: number;
  /**
   * Payload bytes kept in all channels of the namespace; past it, whole
   * histories are deleted, of the channels published to least recently
   * first. Default 64 MiB.
   */
  maxBytes?: number;
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
   * An ioredis client of yours to run commands on, instead of `url`: a
   * `Redis`, or a `Cluster` (then the broker works on the cluster, whatever
   * `cluster` says). The broker makes its subscriber connection from it
   * (a duplicate of a `Redis`; for a `Cluster`, a connection to the master
   * of the namespace's slot, with the cluster's `redisOptions`), closes that
   * one on shutdown, attaches its listeners to yours, and never quits it: it is yours.
   */
  client?: Redis | Cluster;
  /**
   * More ioredis options for the connections opened from `url` (TLS,
   * password, retryStrategy, ...); on a cluster, for the connection to each
   * node (its `retryStrategy` is the cluster's `clusterRetryStrategy`).
   */
  redisOptions?: RedisOptions;
  /**
   * Whether `url` is a Redis Cluster: `false` (default) a single server
   * (or Sentinel, through a `client`); `true` a cluster, with ioredis's
   * `Cluster` from the node of `url` (and `clusterNodes`); `'auto'` asks the
   * node of `url` once, at `connect()` (`CLUSTER INFO`: a server without
   * cluster support answers an error), and picks.
   *
   * On a cluster every key and Pub/Sub channel of the namespace shares one
   * hash tag, so that the broker's scripts run on one slot: a `keyPrefix`
   * that has one (`app:{sse}:`) is kept, any other is wrapped in one (`sse:`
   * → `{sse:}`; `broker.keyPrefix` says which, with `'auto'` once connected).
   * A single server keeps the prefix as given. A namespace so lives on one
   * slot, one master: spread the load of several apps (or tenants) with
   * several namespaces. See docs/redis-cluster.md.
   */
  cluster?: boolean | 'auto';
  /** More nodes of the cluster to start from, besides that of `url` (`redis://host:port`, same credentials). */
  clusterNodes?: string[];
  /**
   * More options of ioredis's `Cluster` (`natMap`, `dnsLookup`,
   * `slotsRefreshInterval`, `clusterRetryStrategy`, `scaleReads`, ...). The
   * broker sets `lazyConnect` and `enableOfflineQueue` itself.
   */
  clusterOptions?: ClusterOptions;
  /**
   * Which Pub/Sub the namespace uses: `'classic'` (`PUBLISH`/`SUBSCRIBE`),
   * `'sharded'` (`SPUBLISH`/`SSUBSCRIBE`, Redis 7.0+: on a cluster, each
   * message stays on the shard of the namespace instead of going to every
   * node), or `'auto'` (default): sharded on a cluster whose server knows
   * `SPUBLISH`, classic on a single server (as before, so that instances of
   * older versions on the same prefix still hear each other). Every instance
   * of a namespace must use the same.
   */
  pubsub?: 'auto' | 'sharded' | 'classic';
  /**
   * The namespace: the prefix of every key and Pub/Sub channel. Instances
   * with the same prefix on the same Redis share positions, history and
   * delivery. Pub/Sub ignores database numbers, so use a distinct prefix per
   * app on one Redis server. Default `'sse:'` (on a cluster, with a hash tag
   * added if it has none: see `cluster`).
   */
  keyPrefix?: string;
  /** History kept per channel, and its bounds. */
  history?: RedisSseHistoryOptions;
  /**
   * How long (ms) the namespace remembers the `idempotencyKey` of a publish:
   * a publish with the same key on the same channel within it, from any
   * instance, stores and delivers nothing and resolves to the first one's
   * position. Retry a publish that failed with `maybePublished` with the same
   * key. Default 3600000 (1 hour).
   */
  idempotencyTtlMs?: number;
  /**
   * Idempotency keys the namespace remembers at most (all instances); past
   * it, the oldest is forgotten, which ends its window early. Default 10000.
   */
  maxIdempotencyKeys?: number;
  /**
   * How long every call a request waits on (publish, send, read, subscribe,
   * a schedule lock) waits for Redis before it rejects with
   * `RedisSseUnavailableError` (a 503), whether Redis is away or connected
   * but not answering. A publish or send that timed out may have been done
   * all the same: its error says so (`maybePublished`). Default 5000.
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
