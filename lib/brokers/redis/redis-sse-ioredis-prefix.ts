import { REDIS_SSE_CLUSTER_MESSAGES } from './redis-sse-cluster.messages.js';
import type { ResolvedRedisSseOptions } from './resolve-redis-sse-options.js';

type PrefixSources = Pick<ResolvedRedisSseOptions, 'client' | 'redisOptions' | 'clusterOptions'>;

/**
 * Where an ioredis `keyPrefix` is set among the broker's options (its
 * `redisOptions`, its `clusterOptions`, or the options of the app's
 * `client`), named as an option; `undefined` if nowhere. Pure.
 */
export function ioredisKeyPrefixOf(options: PrefixSources): string | undefined {
  // A `Redis` has its keyPrefix in its options; a `Cluster` in its options or in their redisOptions.
  const given = options.client as
    { isCluster?: boolean; options?: { keyPrefix?: string; redisOptions?: { keyPrefix?: string } } } | undefined;
  const sources: [string, unknown][] = [
    ['redisOptions.keyPrefix', options.redisOptions.keyPrefix],
    ['clusterOptions.keyPrefix', options.clusterOptions.keyPrefix],
    ['clusterOptions.redisOptions.keyPrefix', options.clusterOptions.redisOptions?.keyPrefix],
    ["the client's keyPrefix", given?.options?.keyPrefix],
    ["the client's redisOptions.keyPrefix", given?.options?.redisOptions?.keyPrefix],
  ];
  return sources.find(([, value]) => typeof value === 'string' && value !== '')?.[0];
}

/**
 * Throws a `TypeError` naming the option when an ioredis `keyPrefix` is set
 * and the broker uses sharded Pub/Sub or a cluster: ioredis prefixes the
 * channel of `SSUBSCRIBE` (a key, for it) and not what the scripts
 * `SPUBLISH` to, so every event would be lost without an error.
 */
export function refuseIoredisKeyPrefix(options: PrefixSources, why: 'sharded' | 'cluster'): void {
  const where = ioredisKeyPrefixOf(options);
  if (where) throw new TypeError(REDIS_SSE_CLUSTER_MESSAGES.ioredisKeyPrefix(where, why));
}
