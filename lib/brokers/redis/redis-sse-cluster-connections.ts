import type { Cluster, ClusterOptions, Redis, RedisOptions } from 'ioredis';
import { loadOptionalPackage } from '../../utils/load-optional-package.js';
import { endConnection, ownOptions, retryStrategy, type RedisSseConnections } from './redis-sse-connections.js';
import { clusterNodeOf } from './redis-sse-cluster-node.js';
import { transientReplyOf } from './redis-sse-failure.js';
import { clusterKeyPrefix, hashSlotOf } from './redis-sse-hash-slot.js';
import { REDIS_SSE_MESSAGES } from './redis-sse.messages.js';
import type { RedisSsePubSub } from './redis-sse-pubsub.js';
import type { ResolvedRedisSseOptions } from './resolve-redis-sse-options.js';

/**
 * The connections of a broker on a Redis Cluster: ioredis's `Cluster` for
 * commands (it routes each to the master of its slot, and follows MOVED and
 * ASK), and one plain subscriber connection to the master of the
 * namespace's slot, which the broker subscribes and resubscribes itself (so
 * that it knows when the subscriptions are back, and reports the `gap`).
 * Every key and channel of the namespace is on that one slot.
 *
 * The subscriber follows the slot: it connects once the cluster has said
 * where the slot is, and moves (reconnecting: an outage, then a `gap`) when
 * the cluster's slot map says another master serves it, when the server
 * ends its shard subscriptions (`SUNSUBSCRIBE` on a slot migration or a
 * failover) and when its set-up is answered MOVED. Commands of the namespace
 * are refused at once while the subscriber is not connected (the namespace's
 * master is unreachable) and while the cluster client's slot map does not
 * name that master yet (see `commandStatus()`).
 */
export class RedisSseClusterConnections implements RedisSseConnections {
  readonly cluster = true;
  private readonly detach: (() => void)[] = [];
  private ending = false;
  /** A slot map refresh asked by `commandStatus()` is under way. */
  private refreshing = false;

  private constructor(
    readonly command: Cluster,
    readonly subscriber: Redis,
    readonly pubsub: RedisSsePubSub,
    /** The hash slot of every key and channel of the namespace. */
    private readonly slot: number,
    /** Whether the cluster client is the broker's own (not the app's client) to quit. */
    private readonly ownsCommand: boolean,
    private readonly commandTimeoutMs: number,
  ) {
    const onRefresh = () => this.follow();
    const onMoved = () => this.move();
    command.on('ready', onRefresh);
    command.on('refresh', onRefresh);
    subscriber.on('moved', onMoved);
    this.detach.push(() => {
      command.off('ready', onRefresh);
      command.off('refresh', onRefresh);
      subscriber.off('moved', onMoved);
    });
  }

  /** Makes the connections (not connected yet), from the app's `Cluster` or from `url` and `clusterNodes`. */
  static async open(options: ResolvedRedisSseOptions, pubsub: RedisSsePubSub): Promise<RedisSseClusterConnections> {
    const timeoutMs = options.commandTimeoutMs;
    const slot = hashSlotOf(clusterKeyPrefix(options.keyPrefix));
    const { Cluster, Redis } = await loadOptionalPackage('ioredis', 'RedisSseBroker', () => import('ioredis'));
    /** Set once made: the subscriber's retry strategy asks it where to reconnect. */
    const made: { connections?: RedisSseClusterConnections } = {};
    const given = options.client as Cluster | undefined;
    const nodes = given ? [] : [options.url ?? 'redis://127.0.0.1:6379', ...options.clusterNodes].map(clusterNodeOf);
    const retry = options.clusterOptions.clusterRetryStrategy ?? options.redisOptions.retryStrategy ?? retryStrategy;
    const nodeOptions: RedisOptions = given
      ? { ...given.options.redisOptions }
      : { ...options.clusterOptions.redisOptions, ...nodes[0].options, ...options.redisOptions };
    delete nodeOptions.retryStrategy;
    const subscriber = new Redis({
      ...nodeOptions,
      // Where it connects is set once the cluster has said where the slot is (`follow()`).
      ...(nodes[0] ? { host: nodes[0].host, port: nodes[0].port } : {}),
      ...ownOptions(timeoutMs),
      // Before each reconnection: to the master that serves the slot now (a failover moves it).
      retryStrategy: (times) => {
        made.connections?.reconnecting();
        return retry(times) ?? retryStrategy(times);
      },
    });
    const command = given ?? new Cluster(nodes, clusterOptionsOf(options, nodeOptions, retry, timeoutMs));
    made.connections = new RedisSseClusterConnections(command, subscriber, pubsub, slot, !given, timeoutMs);
    return made.connections;
  }

  /**
   * `'ready'` once the cluster client is, the subscriber is connected (to
   * the namespace's master) and the client's slot map names that master for
   * the slot, with a connection to it: a map made while the cluster was
   * coming back may not yet (the client would send commands elsewhere, to be
   * answered MOVED); it is then refreshed, and commands wait for it.
   */
  commandStatus(): string {
    if (this.command.status !== 'ready') return this.command.status;
    if (this.subscriber.status !== 'ready') return this.subscriber.status;
    const { host, port } = this.subscriber.options;
    const master = `${host}:${port}`;
    // The map names it, and the client has a connection to it (else it would send the command to any node).
    const known = (node: Redis) => `${node.options.host}:${node.options.port}` === master;
    if (this.command.slots[this.slot]?.[0] === master && this.command.nodes('master').some(known)) return 'ready';
    if (!this.refreshing) {
      this.refreshing = true;
      this.command.refreshSlotsCache(() => (this.refreshing = false));
    }
    return 'waiting for the slot map';
  }

  /** Starts the cluster client; the subscriber connects once the cluster has said where the slot is. */
  start(): void {
    if (this.command.status === 'wait') this.command.connect().catch(() => undefined);
    else if (this.command.status === 'ready') this.follow();
  }

  async end(): Promise<void> {
    this.ending = true;
    this.detach.splice(0).forEach((detach) => detach());
    await Promise.all([
      endConnection(this.subscriber, this.commandTimeoutMs),
      this.ownsCommand ? endConnection(this.command, this.commandTimeoutMs) : undefined,
    ]);
  }

  /** host:port of the master the subscriber is on (the namespace's), for messages. */
  target(): string {
    const { host, port } = this.subscriber.options;
    return REDIS_SSE_MESSAGES.clusterTarget(`${host ?? '127.0.0.1'}:${port ?? 6379}`);
  }

  subscriberFailed(error: unknown): 'moving' | 'transient' | undefined {
    const reply = transientReplyOf(error);
    if (reply === 'MOVED') {
      this.move();
      return 'moving';
    }
    return reply;
  }

  /**
   * Points the subscriber at the master that serves the slot in the cluster
   * client's map, and connects it there: at once if it was waiting for the
   * map, by reconnecting if it was on another node. Returns whether it moved.
   */
  private follow(): boolean {
    if (this.ending || !this.command.slots[this.slot]?.[0]) return false;
    const moved = this.retarget();
    if (this.subscriber.status === 'wait') {
      this.subscriber.connect().catch(() => undefined);
    } else if (moved && this.subscriber.status === 'ready') {
      this.subscriber.disconnect(true);
    }
    return moved;
  }

  /**
   * The subscriber lost its connection and tries again: points it at the
   * master of the slot in the cluster client's map, and asks the cluster for
   * a fresh map. Nothing else would while the namespace is down (its
   * commands are refused, so ioredis never hears MOVED): after a failover
   * whose old master stays dead, the map would name it for good. ioredis
   * merges refreshes under way; the `'refresh'` that follows re-points the
   * subscriber (`follow()`), whose next attempt goes to the new master.
   */
  private reconnecting(): void {
    if (this.ending) return;
    this.retarget();
    this.command.refreshSlotsCache();
  }

  /** Points the subscriber's next connection at the master of the slot in the cluster client's map; returns whether that changed it. */
  private retarget(): boolean {
    const owner = this.command.slots[this.slot]?.[0];
    if (!owner) return false;
    const at = owner.lastIndexOf(':');
    const host = owner.slice(0, at);
    const port = Number(owner.slice(at + 1));
    const options = this.subscriber.options;
    if (options.host === host && options.port === port) return false;
    // ioredis reads host and port at each connection attempt: the next one goes there.
    options.host = host;
    options.port = port;
    return true;
  }

  /** The subscriber's node no longer serves the slot (MOVED, or the server ended its subscriptions): reconnect where it is now. */
  private move(): void {
    if (this.ending) return;
    this.command.refreshSlotsCache(() => {
      // Subscriptions are gone either way: set them up again, on the new master if the map says so.
      if (!this.follow() && !this.ending && this.subscriber.status === 'ready') this.subscriber.disconnect(true);
    });
  }
}

/** The options of the broker's own `Cluster`: the app's, with what the broker needs of every node connection. */
function clusterOptionsOf(
  options: ResolvedRedisSseOptions,
  nodeOptions: RedisOptions,
  retry: (times: number) => number | void | null,
  timeoutMs: number,
): ClusterOptions {
  const { enableOfflineQueue, lazyConnect, ...own } = ownOptions(timeoutMs);
  return {
    ...options.clusterOptions,
    clusterRetryStrategy: retry,
    lazyConnect,
    enableOfflineQueue,
    redisOptions: { ...nodeOptions, ...own },
  };
}
