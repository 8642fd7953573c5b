import type { Redis, RedisOptions } from 'ioredis';
import { withTimeout } from './redis-sse-failure.js';
import type { RedisSseClient, RedisSsePubSub } from './redis-sse-pubsub.js';

/**
 * What the broker's link needs of its connections to Redis, on a single
 * server (`RedisSseStandaloneConnections`) as on a cluster
 * (`RedisSseClusterConnections`): one to run commands on, one subscriber,
 * the Pub/Sub they speak, and their lifecycle.
 */
export interface RedisSseConnections {
  /** Where commands go: a `Redis`, or a `Cluster` (which routes them to the namespace's master). */
  readonly command: RedisSseClient;
  /** The connection that subscribes, to the server (on a cluster: the master) of the namespace. */
  readonly subscriber: Redis;
  readonly pubsub: RedisSsePubSub;
  /** Whether they are to a Redis Cluster (the namespace's keys then need one hash tag). */
  readonly cluster: boolean;
  /** `'ready'` when commands of the namespace can be sent now; otherwise why not (a connection state), for messages. */
  commandStatus(): string;
  /** Starts connecting (each reconnects by itself from then on); never throws. */
  start(): void;
  /** Quits the connections it opened (never a client of the app), each within its timeout. */
  end(): Promise<void>;
  /** Where the namespace's server is (host:port), for messages: never a password. */
  target(): string;
  /**
   * The subscriber's set-up failed with `error`: `'moving'` when that says
   * the namespace is on another node (the subscriber reconnects there by
   * itself), `'transient'` when the server is between states (a cluster
   * coming back: retry quietly), `undefined` otherwise.
   */
  subscriberFailed(error: unknown): 'moving' | 'transient' | undefined;
}

/**
 * How long ioredis waits for a connection it disconnects to close before it
 * destroys it (its default, 2 s, keeps a timer that holds the process after
 * `close()` during an outage): at most 100 ms, and `endConnection()` waits it out.
 */
export function disconnectTimeoutMs(commandTimeoutMs: number): number {
  return Math.min(commandTimeoutMs, 100);
}

/** ioredis options every connection of the broker needs, whatever the user passed. */
export const ownOptions = (commandTimeoutMs: number): RedisOptions => ({
  lazyConnect: true,
  // The broker resubscribes itself, so that it knows when the subscriptions are back and can report the gap.
  autoResubscribe: false,
  autoResendUnfulfilledCommands: false,
  // A publish while Redis is away rejects at once instead of waiting in a queue. The broker times out every
  // call itself, on its connections and on a client of the app alike (commandTimeoutMs).
  enableOfflineQueue: false,
  // Fail what was in flight as soon as the connection drops (it is redone after the reconnection).
  maxRetriesPerRequest: 0,
  disconnectTimeout: disconnectTimeoutMs(commandTimeoutMs),
});

/** Reconnect quickly at first, then every 2 s. */
export function retryStrategy(times: number): number {
  return Math.min(100 * 2 ** Math.min(times, 5), 2000);
}

/**
 * Quits `client` within `commandTimeoutMs`; one that is not connected (an
 * outage) is disconnected, and the promise resolves once ioredis's timer for
 * it is over: nothing of it is left to hold the process.
 */
export async function endConnection(client: RedisSseClient, commandTimeoutMs: number): Promise<void> {
  if (client.status === 'end') return;
  if (client.status === 'ready') {
    try {
      await withTimeout(client.quit(), commandTimeoutMs);
      return;
    } catch {
      // Fall through to a hard disconnect.
    }
  }
  const hadSocket = client.status !== 'wait';
  client.disconnect();
  if (!hadSocket) return;
  const wait = disconnectTimeoutMs(commandTimeoutMs) + 1;
  await new Promise((resolve) => setTimeout(resolve, wait));
}
