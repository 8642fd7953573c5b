/**
 * The texts of the Redis broker that concern a Redis Cluster and sharded
 * Pub/Sub (kept apart from `redis-sse.messages.ts` by concept). Each names
 * the bad value or the state, and what to do.
 */
export const REDIS_SSE_CLUSTER_MESSAGES = {
  /** `where`: the option that holds the ioredis `keyPrefix`; `why`: sharded Pub/Sub or a cluster. */
  ioredisKeyPrefix: (where: string, why: 'sharded' | 'cluster') =>
    `nestjs-event-stream: RedisSseBroker: an ioredis \`keyPrefix\` (${where}) is not supported ${
      why === 'sharded' ? 'with sharded Pub/Sub' : 'on a Redis Cluster'
    }: ioredis prefixes the channels of SSUBSCRIBE but not those the broker's scripts SPUBLISH to, so events would be lost without an error. Remove it and give the prefix as the broker's own \`keyPrefix\` option instead (e.g. keyPrefix: 'app:sse:').`,
  /** `prefix`: the broker's `keyPrefix`, which has no usable hash tag even once wrapped. */
  noHashTag: (prefix: string) =>
    `nestjs-event-stream: RedisSseBroker: the keyPrefix ${JSON.stringify(prefix)} gives no hash tag on a Redis Cluster (a '}' before any '{' leaves the tag empty, and the keys of its scripts on several slots: CROSSSLOT). Give a keyPrefix with a hash tag of its own, e.g. '{sse}:', or without '}'.`,
  /** The node refused `CLUSTER INFO` with `reply` (not "cluster support disabled"). */
  probeRefused: (reply: string) =>
    `nestjs-event-stream: RedisSseBroker could not ask the server whether it is a cluster: it answered CLUSTER INFO with "${reply}". Let the broker's user run CLUSTER INFO (and COMMAND INFO), or set \`cluster: true\` or \`false\` (and \`pubsub\`) so that it does not ask.`,
};
