import type { RedisSseClient } from './redis-sse-pubsub.js';

/** What the broker must know of the server before it opens its connections. */
export interface RedisSseServerKind {
  /** A node of a Redis Cluster (`CLUSTER INFO` answers), not a single server. */
  readonly cluster: boolean;
  /** The server knows `SPUBLISH` (sharded Pub/Sub, Redis 7.0+). */
  readonly sharded: boolean;
}

const isReplyError = (error: unknown) => (error as Error | null)?.name === 'ReplyError';

/**
 * Asks the server of `client` what it is, in at most two commands:
 * `CLUSTER INFO` (a server without cluster support answers an error, a node
 * of a cluster its state) and, on a cluster, `COMMAND INFO SPUBLISH` (a
 * server that does not know it answers nil; one whose user may not run
 * `COMMAND` answers an error: then classic Pub/Sub). Rejects when the
 * connection fails, for the caller to ask again.
 */
export async function probeServer(client: RedisSseClient): Promise<RedisSseServerKind> {
  let isCluster: boolean;
  try {
    isCluster = /cluster_state:/.test(String(await client.cluster('INFO')));
  } catch (error) {
    if (!isReplyError(error)) throw error;
    isCluster = false;
  }
  if (!isCluster) return { cluster: false, sharded: false };
  try {
    const [info] = (await client.command('INFO', 'SPUBLISH')) as unknown[];
    return { cluster: true, sharded: Array.isArray(info) };
  } catch (error) {
    if (!isReplyError(error)) throw error;
    return { cluster: true, sharded: false };
  }
}
