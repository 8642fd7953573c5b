import type { Redis, RedisOptions } from 'ioredis';
import { loadOptionalPackage } from '../../utils/load-optional-package.js';
import { endConnection, ownOptions, retryStrategy, type RedisSseConnections } from './redis-sse-connections.js';
import { transientReplyOf } from './redis-sse-failure.js';
import type { RedisSsePubSub } from './redis-sse-pubsub.js';
import type { ResolvedRedisSseOptions } from './resolve-redis-sse-options.js';

/**
 * The two ioredis connections of a broker on a single Redis server: one for
 * commands (the app's own `client` if it gave one), one for Pub/Sub. Making,
 * starting and ending them, and naming the server in messages.
 */
export class RedisSseStandaloneConnections implements RedisSseConnections {
  readonly cluster = false;

  private constructor(
    readonly command: Redis,
    readonly subscriber: Redis,
    readonly pubsub: RedisSsePubSub,
    /** Whether the command connection is the broker's own (not the app's client) to quit. */
    private readonly ownsCommand: boolean,
    private readonly commandTimeoutMs: number,
  ) {}

  /** Makes the connections (not connected yet): duplicates the app's client, or opens two from the options. */
  static async open(options: ResolvedRedisSseOptions, pubsub: RedisSsePubSub): Promise<RedisSseStandaloneConnections> {
    const timeoutMs = options.commandTimeoutMs;
    const client = options.client as Redis | undefined;
    if (client) {
      return new RedisSseStandaloneConnections(
        client,
        client.duplicate(ownOptions(timeoutMs)),
        pubsub,
        false,
        timeoutMs,
      );
    }
    const Redis = await loadOptionalPackage('ioredis', 'RedisSseBroker', async () => (await import('ioredis')).Redis);
    const open = () => {
      const all: RedisOptions = { retryStrategy, ...options.redisOptions, ...ownOptions(timeoutMs) };
      return options.url ? new Redis(options.url, all) : new Redis(all);
    };
    return new RedisSseStandaloneConnections(open(), open(), pubsub, true, timeoutMs);
  }

  commandStatus(): string {
    return this.command.status;
  }

  start(): void {
    if (this.command.status === 'wait') this.command.connect().catch(() => undefined);
    this.subscriber.connect().catch(() => undefined);
  }

  async end(): Promise<void> {
    await Promise.all([
      endConnection(this.subscriber, this.commandTimeoutMs),
      this.ownsCommand ? endConnection(this.command, this.commandTimeoutMs) : undefined,
    ]);
  }

  /** host:port of the Redis server, for messages (never the password). */
  target(): string {
    const options = this.command.options;
    if (options.path) return options.path;
    return `${options.host ?? '127.0.0.1'}:${options.port ?? 6379}${options.db ? `/${options.db}` : ''}`;
  }

  /** A single server is where it is: nothing to follow; one loading its data after a restart is between states. */
  subscriberFailed(error: unknown): 'transient' | undefined {
    return transientReplyOf(error) === 'transient' ? 'transient' : undefined;
  }
}
