import { Logger } from '@nestjs/common';
import type { Cluster, Redis, RedisOptions } from 'ioredis';
import { checkInteger } from '../../options/check-option.js';
import { SSE_MESSAGES } from '../../sse.messages.js';
import { loadOptionalPackage } from '../../utils/load-optional-package.js';
import { MAX_TICKET_RECORD_BYTES, type SseTicketStore } from '../../auth/sse-ticket-store.interface.js';
import type { RedisSseBroker } from './redis-sse.broker.js';
import { clusterNodeOf } from './redis-sse-cluster-node.js';
import type { RedisSseClient } from './redis-sse-pubsub.js';
import { reasonOf, transientReplyOf, withTimeout } from './redis-sse-failure.js';
import { REDIS_SSE_MESSAGES } from './redis-sse.messages.js';
import { RedisSseUnavailableError } from './redis-sse-unavailable.error.js';

const KEY_PREFIX = /^[A-Za-z0-9\-_.:/@{}]{1,100}$/;
/** What `SseTickets` gives as a key (a SHA-256 digest, base64url), with room for other stores' callers. */
const KEY = /^[A-Za-z0-9_-]{1,128}$/;
/** The longest a ticket may live here: a day (a ticket is for opening a stream now). */
const MAX_TTL_MS = 86_400_000;

/** Options of `new RedisSseTicketStore(...)`: one of `broker`, `client` or `url`. */
export interface RedisSseTicketStoreOptions {
  /**
   * The app's `RedisSseBroker`: tickets go through its command connection
   * (no connection of their own), with its `commandTimeoutMs` and its
   * handling of outages. `keyPrefix` defaults to the broker's.
   */
  broker?: RedisSseBroker;
  /** An ioredis client of yours, a `Redis` or a `Cluster`, which the store never quits. */
  client?: Redis | Cluster;
  /**
   * `redis://...` (or `rediss://`): the store opens one connection of its
   * own, at the first ticket, and quits it on shutdown. Default (no
   * `broker`, `client` or `url`): ioredis's default, 127.0.0.1:6379.
   */
  url?: string;
  /** More ioredis options for the connection opened from `url` (on a cluster, for each node's). */
  redisOptions?: RedisOptions;
  /**
   * Whether `url` is a node of a Redis Cluster: the store then opens an
   * ioredis `Cluster` from it (each ticket is one key, on whichever master
   * serves its slot). Default false. With `broker`, the broker's connection
   * is used, cluster or not.
   */
  cluster?: boolean;
  /**
   * The prefix of every key: tickets are `<prefix>ticket:<digest>`. Default:
   * the broker's (read at each use: on a cluster found by `cluster: 'auto'`,
   * with its hash tag), else `'sse:'`.
   */
  keyPrefix?: string;
  /**
   * How long a command waits for Redis before the request is answered 503
   * (not with `broker`, whose own applies). Default 5000.
   */
  commandTimeoutMs?: number;
}

/** Reconnect quickly at first, then every 2 s. */
function retryStrategy(times: number): number {
  return Math.min(100 * 2 ** Math.min(times, 5), 2000);
}

/**
 * Stream tickets in Redis, for several instances: a ticket issued by one is
 * redeemed on any, exactly once. `put` is `SET <prefix>ticket:<digest>
 * <record> PX <ttl>`, `take` is `GETDEL` (Redis 6.2+): one atomic command,
 * so of any number of concurrent redeems of a ticket, on any instances, one
 * gets it. Redis expires tickets by itself. Keys are the tickets' SHA-256
 * digests: `MONITOR`, `SLOWLOG` or a dump never show a ticket.
 *
 * While Redis is unreachable or does not answer within `commandTimeoutMs`,
 * issuing and redeeming reject with `RedisSseUnavailableError` (503, with a
 * generic body); the address and the error go to the log, once per outage.
 * A redeem that timed out may have used the ticket up: ask for a new one.
 *
 * ```ts
 * import { RedisSseBroker, RedisSseTicketStore } from 'nestjs-event-stream/redis';
 *
 * const broker = new RedisSseBroker({ url: process.env.SSE_REDIS_URL });
 * SseModule.forRoot({ broker, auth: { verify, tickets: { store: new RedisSseTicketStore({ broker }) } } });
 * ```
 */
export class RedisSseTicketStore implements SseTicketStore {
  private readonly logger = new Logger('RedisSseTicketStore');
  /** `<prefix>ticket:`, unless it is the broker's (`undefined`: asked of the broker at each use). */
  private readonly prefix: string | undefined;
  private readonly timeoutMs: number;
  /** The connection of `client` or `url`, once made; the first connection attempt. */
  private connection: Promise<{ client: RedisSseClient; connected: Promise<void> }> | undefined;
  /** The connection the store opened itself (to quit on close). */
  private own: RedisSseClient | undefined;
  /** An outage was logged and Redis has not answered since. */
  private failing = false;
  private closed = false;

  constructor(private readonly options: RedisSseTicketStoreOptions = {}) {
    if (typeof options !== 'object' || options === null) {
      throw new TypeError(SSE_MESSAGES.invalidOption('RedisSseTicketStore options', options, 'an object'));
    }
    const { broker, client, url } = options;
    const given = [broker, client, url].filter((source) => source !== undefined).length;
    const ownOnly = options.redisOptions ?? options.commandTimeoutMs ?? options.cluster;
    if (given > 1 || (broker !== undefined && ownOnly !== undefined)) {
      throw new TypeError(SSE_MESSAGES.redisTicketStoreSources());
    }
    if (broker !== undefined && typeof (broker as Partial<RedisSseBroker>)?.withCommandClient !== 'function') {
      throw new TypeError(SSE_MESSAGES.invalidOption('RedisSseTicketStore broker', broker, 'a RedisSseBroker'));
    }
    if (client !== undefined && typeof (client as Partial<Redis> | null)?.getdel !== 'function') {
      throw new TypeError(SSE_MESSAGES.invalidOption('RedisSseTicketStore client', client, 'an ioredis client'));
    }
    if (url !== undefined && typeof url !== 'string') {
      throw new TypeError(SSE_MESSAGES.invalidOption('RedisSseTicketStore url', url, 'a redis:// or rediss:// URL'));
    }
    if (options.cluster !== undefined && typeof options.cluster !== 'boolean') {
      throw new TypeError(SSE_MESSAGES.invalidOption('RedisSseTicketStore cluster', options.cluster, 'true or false'));
    }
    if (options.cluster && url !== undefined) clusterNodeOf(url);
    const prefix = options.keyPrefix ?? broker?.keyPrefix ?? 'sse:';
    if (typeof prefix !== 'string' || !KEY_PREFIX.test(prefix)) {
      throw new TypeError(
        SSE_MESSAGES.invalidOption(
          'RedisSseTicketStore keyPrefix',
          prefix,
          '1 to 100 characters of [A-Za-z0-9-_.:/@{}]',
        ),
      );
    }
    // The broker's prefix is read at each use: with `cluster: 'auto'` it gains its hash tag at connect().
    this.prefix = options.keyPrefix === undefined && broker ? undefined : `${prefix}ticket:`;
    this.timeoutMs = checkInteger('RedisSseTicketStore commandTimeoutMs', options.commandTimeoutMs, 1, 5000, 60_000);
  }

  /** `SET <prefix>ticket:<key> <record> PX <ttlMs>`: Redis expires it. Rejects with a 503 while Redis is away. */
  async put(key: string, record: string, ttlMs: number): Promise<void> {
    const name = this.keyOf(key);
    if (typeof record !== 'string' || Buffer.byteLength(record, 'utf8') > MAX_TICKET_RECORD_BYTES) {
      throw new TypeError(
        SSE_MESSAGES.redisTicketArgument(`a record is a string of at most ${MAX_TICKET_RECORD_BYTES} bytes`, record),
      );
    }
    if (!Number.isSafeInteger(ttlMs) || ttlMs < 1 || ttlMs > MAX_TTL_MS) {
      throw new TypeError(SSE_MESSAGES.redisTicketArgument(`ttlMs is an integer from 1 to ${MAX_TTL_MS}`, ttlMs));
    }
    await this.run('store a stream ticket', (redis) => redis.set(name, record, 'PX', ttlMs));
  }

  /** `GETDEL`: the record once, on whichever instance asks first (atomic), then never again. */
  async take(key: string): Promise<string | undefined> {
    const name = this.keyOf(key);
    return (await this.run('redeem a stream ticket', (redis) => redis.getdel(name))) ?? undefined;
  }

  /** Quits the connection it opened from `url` (never a `client` or a broker it was given). */
  async close(): Promise<void> {
    if (this.closed) return;
    this.closed = true;
    // A first connection may be on its way (ioredis still loading): wait for it, so that it is quit too.
    await this.connection?.catch(() => undefined);
    const own = this.own;
    if (!own || own.status === 'end') return;
    try {
      if (own.status !== 'ready') throw new Error('not connected');
      await withTimeout(own.quit(), this.timeoutMs);
    } catch {
      own.disconnect();
    }
  }

  private keyOf(key: string): string {
    if (typeof key !== 'string' || !KEY.test(key)) {
      throw new TypeError(SSE_MESSAGES.redisTicketArgument('a key is 1 to 128 of [A-Za-z0-9_-]', key));
    }
    return `${this.prefix ?? `${this.options.broker!.keyPrefix}ticket:`}${key}`;
  }

  /** Runs one command, within the timeout; a failure becomes a 503 (and one log line per outage). */
  private async run<T>(operation: string, command: (redis: RedisSseClient) => Promise<T>): Promise<T> {
    if (this.closed) throw new Error(SSE_MESSAGES.redisTicketClosed(operation));
    const broker = this.options.broker;
    if (broker) return broker.withCommandClient(operation, command);
    const { client, connected } = await this.connect();
    if (this.closed) throw new Error(SSE_MESSAGES.redisTicketClosed(operation));
    try {
      // The first command waits for the first connection; later ones fail at once while it is down.
      const result = await withTimeout(
        connected.then(() => command(client)),
        this.timeoutMs,
      );
      if (this.failing) {
        this.failing = false;
        this.logger.log(SSE_MESSAGES.redisTicketRecovered(targetOf(client)));
      }
      return result;
    } catch (error) {
      throw this.failure(operation, client, error);
    }
  }

  private connect(): Promise<{ client: RedisSseClient; connected: Promise<void> }> {
    this.connection ??= (async () => {
      const given = this.options.client;
      if (given) return { client: given, connected: Promise.resolve() };
      const { Cluster, Redis } = await loadOptionalPackage('ioredis', 'RedisSseTicketStore', () => import('ioredis'));
      const own: RedisOptions = {
        retryStrategy,
        ...this.options.redisOptions,
        lazyConnect: true,
        // Fail at once while Redis is away, instead of queueing requests that wait on a ticket.
        enableOfflineQueue: false,
        maxRetriesPerRequest: 0,
        // ioredis's 2 s default would keep a timer that holds the process after close() during an outage.
        disconnectTimeout: Math.min(this.timeoutMs, 100),
      };
      const url = this.options.url;
      let client: RedisSseClient;
      if (this.options.cluster) {
        const { host, port, options } = clusterNodeOf(url ?? 'redis://127.0.0.1:6379');
        const { lazyConnect, enableOfflineQueue, retryStrategy: clusterRetryStrategy, ...node } = own;
        const redisOptions = { ...options, ...node };
        client = new Cluster([{ host, port }], { lazyConnect, enableOfflineQueue, clusterRetryStrategy, redisOptions });
      } else {
        client = url ? new Redis(url, own) : new Redis(own);
      }
      if (this.closed) {
        // Closed while ioredis was loading: never connect.
        this.own = client;
        return { client, connected: Promise.resolve() };
      }
      // Errors reach the requests that fail because of them; without a listener ioredis prints each one.
      client.on('error', () => undefined);
      this.own = client;
      return { client, connected: client.connect().catch(() => undefined) };
    })();
    return this.connection;
  }

  /** What a failed command rejects with: a plain error when Redis answered one, otherwise a 503. */
  private failure(operation: string, client: RedisSseClient, error: unknown): Error {
    const reason = reasonOf(error);
    // A cluster between states (or a server loading) refused it for now: a 503, as when Redis is away.
    if ((error as Error)?.name === 'ReplyError' && !transientReplyOf(error)) {
      return new Error(SSE_MESSAGES.redisTicketRefused(operation, reason), { cause: error });
    }
    const detail = SSE_MESSAGES.redisTicketUnavailable(operation, targetOf(client), reason);
    if (!this.failing) {
      this.failing = true;
      this.logger.warn(detail);
    }
    const retryAfterSeconds = Math.max(1, Math.ceil(this.timeoutMs / 1000));
    const message = REDIS_SSE_MESSAGES.publicUnavailable(retryAfterSeconds, undefined, false);
    return new RedisSseUnavailableError(message, { detail, retryAfterSeconds, cause: error });
  }
}

/** host:port of the Redis server of `client`, for the log (never the password). */
function targetOf(client: RedisSseClient): string {
  if (client.isCluster) return 'the Redis Cluster';
  const { path, host, port } = (client as Redis).options ?? {};
  return path || `${host ?? '127.0.0.1'}:${port ?? 6379}`;
}
