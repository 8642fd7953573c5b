import { REDIS_SSE_CLUSTER_MESSAGES } from './redis-sse-cluster.messages.js';
import type { RedisSseClient } from './redis-sse-pubsub.js';

/** What the broker must know of the server before it opens its connections. */
export interface RedisSseServerKind {
  /** A node of a Redis Cluster (`CLUSTER INFO` answers), not a single server. */
  readonly cluster: boolean;
  /** The server knows `SPUBLISH` (sharded Pub/Sub, Redis 7.0+). */
  readonly sharded: boolean;
}

const isReplyError = (error: unknown) => (error as Error | null)?.name === 'ReplyError';

/** The replies to `CLUSTER INFO` of a server without cluster support (or too old to know the command). */
const NOT_A_CLUSTER = /^ERR (This instance has cluster support disabled|unknown command)/;
/** Replies that say the server is between states: asked again. */
const TRANSIENT = /^(LOADING|BUSY|TRYAGAIN|MASTERDOWN|CLUSTERDOWN)\b/;

/**
 * The server refused to say whether it is a cluster (`NOPERM`, or another
 * error reply that asking again will not change): the broker stays down and
 * says what to do, instead of taking it for a single server.
 */
export class RedisSseProbeRefusal extends Error {
  override readonly name = 'RedisSseProbeRefusal';
}

/**
 * Asks the server of `client` what it is, in at most two commands:
 * `CLUSTER INFO` (a server without cluster support answers "cluster support
 * disabled", a node of a cluster its state; a refusal such as `NOPERM`
 * rejects with `RedisSseProbeRefusal`, and a server between states, such as
 * `LOADING`, with its reply, to be asked again) and, on a cluster, `COMMAND INFO SPUBLISH` (a
 * server that does not know it answers nil; one whose user may not run
 * `COMMAND` answers an error: then classic Pub/Sub). Rejects when the
 * connection fails, for the caller to ask again.
 */
export async function probeServer(client: RedisSseClient): Promise<RedisSseServerKind> {
  let isCluster: boolean;
  try {
    isCluster = /cluster_state:/.test(String(await client.cluster('INFO')));
  } catch (error) {
    const reply = (error as Error | null)?.message ?? '';
    if (!isReplyError(error) || TRANSIENT.test(reply)) throw error;
    if (!NOT_A_CLUSTER.test(reply)) throw new RedisSseProbeRefusal(REDIS_SSE_CLUSTER_MESSAGES.probeRefused(reply));
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
