import type { Cluster, ClusterOptions, Redis, RedisOptions } from 'ioredis';
import { checkInteger } from '../../options/check-option.js';
import { DEFAULT_HISTORY_MAX_BYTES, DEFAULT_HISTORY_MAX_CHANNEL_BYTES } from '../../sse.constants.js';
import type { RedisSseBrokerOptions } from './redis-sse-broker-options.interface.js';
import { clusterNodeOf } from './redis-sse-cluster-node.js';
import { clusterKeyPrefix } from './redis-sse-hash-slot.js';
import { refuseIoredisKeyPrefix } from './redis-sse-ioredis-prefix.js';
import { REDIS_SSE_MESSAGES } from './redis-sse.messages.js';

const KEY_PREFIX = /^[A-Za-z0-9\-_.:/@{}]{1,100}$/;
const HOUR_MS = 3_600_000;

/** The options of a `RedisSseBroker`, checked, with every default filled in. */
export interface ResolvedRedisSseOptions {
  readonly url?: string;
  readonly client?: Redis | Cluster;
  readonly redisOptions: RedisOptions;
  /** `true` too for a `client` that is a `Cluster`. */
  readonly cluster: boolean | 'auto';
  readonly clusterNodes: readonly string[];
  readonly clusterOptions: ClusterOptions;
  readonly pubsub: 'auto' | 'sharded' | 'classic';
  /**
   * With a hash tag added (if it has none) for `cluster: true`; with
   * `'auto'`, as given: the broker adds the tag once it found a cluster.
   */
  readonly keyPrefix: string;
  readonly maxEvents: number;
  readonly maxAgeMs: number;
  readonly idleTtlMs: number;
  readonly maxChannels: number;
  readonly maxChannelBytes: number;
  readonly maxBytes: number;
  readonly idempotencyTtlMs: number;
  readonly maxIdempotencyKeys: number;
  /** How often the clock is sampled (what an expired history may have held is known to this precision). */
  readonly clockResolutionMs: number;
  readonly commandTimeoutMs: number;
  readonly connectTimeoutMs: number;
  readonly statsIntervalMs: number;
  readonly maxHeldMessages: number;
}

/** Checks the options of `new RedisSseBroker()`, naming the bad one, and merges the defaults. Pure. */
export function resolveRedisSseOptions(options: RedisSseBrokerOptions): ResolvedRedisSseOptions {
  if (typeof options !== 'object' || options === null) {
    throw new Error(REDIS_SSE_MESSAGES.invalidOption('options', options, 'an object'));
  }
  if (options.url !== undefined && options.client !== undefined) throw new Error(REDIS_SSE_MESSAGES.urlAndClient());
  if (options.url !== undefined && typeof options.url !== 'string') {
    throw new Error(REDIS_SSE_MESSAGES.invalidOption('url', options.url, 'a redis:// or rediss:// URL'));
  }
  if (options.client !== undefined && typeof (options.client as Partial<Redis> | null)?.duplicate !== 'function') {
    throw new Error(REDIS_SSE_MESSAGES.invalidOption('client', options.client, 'an ioredis client (new Redis(...))'));
  }
  const keyPrefix = options.keyPrefix ?? 'sse:';
  if (typeof keyPrefix !== 'string' || !KEY_PREFIX.test(keyPrefix)) {
    throw new Error(
      REDIS_SSE_MESSAGES.invalidOption('keyPrefix', keyPrefix, '1 to 100 characters of [A-Za-z0-9-_.:/@{}]'),
    );
  }
  const cluster = resolveCluster(options);
  // A prefix that can get no hash tag is refused now, also where 'auto' may find a cluster.
  if (cluster !== false) clusterKeyPrefix(keyPrefix);
  // Known now: sharded Pub/Sub or a cluster (with 'auto', checked once the server is known).
  if (cluster === true || options.pubsub === 'sharded') {
    refuseIoredisKeyPrefix(
      {
        client: options.client,
        redisOptions: options.redisOptions ?? {},
        clusterOptions: options.clusterOptions ?? {},
      },
      cluster === true ? 'cluster' : 'sharded',
    );
  }
  const history = options.history ?? {};
  const maxEvents = checkInteger('RedisSseBroker history.maxEvents', history.maxEvents, 0, 1000);
  const maxAgeMs = checkInteger('RedisSseBroker history.maxAgeMs', history.maxAgeMs, 0, 0);
  const idleTtlMs = checkInteger(
    'RedisSseBroker history.idleTtlMs',
    history.idleTtlMs,
    1,
    maxAgeMs > 0 ? maxAgeMs : HOUR_MS,
  );
  return {
    url: options.url,
    client: options.client,
    redisOptions: options.redisOptions ?? {},
    cluster,
    clusterNodes: options.clusterNodes ?? [],
    clusterOptions: options.clusterOptions ?? {},
    pubsub: options.pubsub ?? 'auto',
    keyPrefix: cluster === true ? clusterKeyPrefix(keyPrefix) : keyPrefix,
    maxEvents,
    maxAgeMs,
    idleTtlMs,
    maxChannels: checkInteger('RedisSseBroker history.maxChannels', history.maxChannels, 1, 10_000),
    maxChannelBytes: checkInteger(
      'RedisSseBroker history.maxChannelBytes',
      history.maxChannelBytes,
      1,
      DEFAULT_HISTORY_MAX_CHANNEL_BYTES,
    ),
    maxBytes: checkInteger('RedisSseBroker history.maxBytes', history.maxBytes, 1, DEFAULT_HISTORY_MAX_BYTES),
    idempotencyTtlMs: checkInteger('RedisSseBroker idempotencyTtlMs', options.idempotencyTtlMs, 1, HOUR_MS),
    maxIdempotencyKeys: checkInteger('RedisSseBroker maxIdempotencyKeys', options.maxIdempotencyKeys, 1, 10_000),
    clockResolutionMs: Math.max(1, Math.floor(idleTtlMs / 64)),
    commandTimeoutMs: checkInteger('RedisSseBroker commandTimeoutMs', options.commandTimeoutMs, 1, 5000),
    connectTimeoutMs: checkInteger('RedisSseBroker connectTimeoutMs', options.connectTimeoutMs, 0, 10_000),
    statsIntervalMs: checkInteger('RedisSseBroker statsIntervalMs', options.statsIntervalMs, 0, 5000),
    maxHeldMessages: checkInteger('RedisSseBroker maxHeldMessages', options.maxHeldMessages, 1, 1000),
  };
}

/** Checks `cluster`, `clusterNodes`, `clusterOptions` and `pubsub`; returns the mode (`true` for a `Cluster` client). */
function resolveCluster(options: RedisSseBrokerOptions): boolean | 'auto' {
  const { cluster, clusterNodes, clusterOptions, pubsub } = options;
  if (cluster !== undefined && cluster !== true && cluster !== false && cluster !== 'auto') {
    throw new TypeError(REDIS_SSE_MESSAGES.invalidOption('cluster', cluster, "true, false or 'auto'"));
  }
  if (
    clusterNodes !== undefined &&
    (!Array.isArray(clusterNodes) || clusterNodes.some((node) => typeof node !== 'string'))
  ) {
    throw new TypeError(
      REDIS_SSE_MESSAGES.invalidOption('clusterNodes', clusterNodes, 'an array of redis:// or rediss:// URLs'),
    );
  }
  // Each node's URL, and that of `url` on a cluster, names a host and no database: refused now, not at connect().
  clusterNodes?.forEach(clusterNodeOf);
  if (cluster === true && typeof options.url === 'string') clusterNodeOf(options.url);
  if (clusterOptions !== undefined && (typeof clusterOptions !== 'object' || clusterOptions === null)) {
    throw new TypeError(
      REDIS_SSE_MESSAGES.invalidOption('clusterOptions', clusterOptions, "an object of ioredis's ClusterOptions"),
    );
  }
  if (pubsub !== undefined && pubsub !== 'auto' && pubsub !== 'sharded' && pubsub !== 'classic') {
    throw new TypeError(REDIS_SSE_MESSAGES.invalidOption('pubsub', pubsub, "'auto', 'sharded' or 'classic'"));
  }
  const isCluster = (options.client as { isCluster?: unknown } | undefined)?.isCluster === true;
  if (options.client !== undefined && cluster === true && !isCluster) {
    throw new TypeError(REDIS_SSE_MESSAGES.clusterNeedsClusterClient());
  }
  if ((clusterNodes?.length || clusterOptions) && (options.client !== undefined || !cluster)) {
    throw new TypeError(REDIS_SSE_MESSAGES.clusterOptionsWithoutCluster());
  }
  if (isCluster) return true;
  if (options.client !== undefined) return false;
  return cluster ?? false;
}
