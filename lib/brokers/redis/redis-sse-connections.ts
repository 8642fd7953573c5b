import type { Redis, RedisOptions } from 'ioredis';
import { loadOptionalPackage } from '../../utils/load-optional-package.js';
import { withTimeout } from './redis-sse-failure.js';
import type { ResolvedRedisSseOptions } from './resolve-redis-sse-options.js';

/**
 * How long ioredis waits for a connection it disconnects to close before it
 * destroys it (its default, 2 s, keeps a timer that holds the process after
 * `close()` during an outage): at most 100 ms, and `end()` waits it out.
 */
function disconnectTimeoutMs(commandTimeoutMs: number): number {
  return Math.min(commandTimeoutMs, 100);
}

/** ioredis options every connection of the broker needs, whatever the user passed. */
const ownOptions = (commandTimeoutMs: number): RedisOptions => ({
  lazyConnect: true,
  // The broker resubscribes itself, so that it knows when the subscriptions are back and can report the gap.
  autoResubscribe: false,
  autoResendUnfulfilledCommands: false,
  enableOfflineQueue: false,
  // Fail what was in flight as soon as the connection drops (it is redone after the reconnection).
  maxRetriesPerRequest: 0,
  disconnectTimeout: disconnectTimeoutMs(commandTimeoutMs),
});

/** Reconnect quickly at first, then every 2 s. */
function retryStrategy(times: number): number {
  return Math.min(100 * 2 ** Math.min(times, 5), 2000);
}

/**
 * The two ioredis connections of a broker: one for commands (the app's own
 * `client` if it gave one), one for Pub/Sub. Making, starting and ending
 * them, and naming the server in messages.
 */
export class RedisSseConnections {
  private constructor(
    readonly command: Redis,
    readonly subscriber: Redis,
    /** Whether the command connection is the broker's own (not the app's client) to quit. */
    private readonly ownsCommand: boolean,
    private readonly commandTimeoutMs: number,
  ) {}

  /** Makes the connections (not connected yet): duplicates the app's client, or opens two from the options. */
  static async open(options: ResolvedRedisSseOptions): Promise<RedisSseConnections> {
    const timeoutMs = options.commandTimeoutMs;
    const client = options.client;
    if (client) return new RedisSseConnections(client, client.duplicate(ownOptions(timeoutMs)), false, timeoutMs);
    const Redis = await loadOptionalPackage('ioredis', 'RedisSseBroker', async () => (await import('ioredis')).Redis);
    const open = () => {
      const all: RedisOptions = { retryStrategy, ...options.redisOptions, ...ownOptions(timeoutMs) };
      return options.url ? new Redis(options.url, all) : new Redis(all);
    };
    // A publish while Redis is away rejects at once instead of waiting in a queue (no offline queue). The broker
    // times out every call itself, on these connections and on a client of the app alike (commandTimeoutMs).
    return new RedisSseConnections(open(), open(), true, timeoutMs);
  }

  /** Starts connecting (each reconnects by itself from then on); never rejects. */
  start(): void {
    if (this.command.status === 'wait') this.command.connect().catch(() => undefined);
    this.subscriber.connect().catch(() => undefined);
  }

  /**
   * Quits the connections it opened (never the app's client), each within
   * `commandTimeoutMs`; one that is not connected (an outage) is disconnected,
   * and `end()` resolves once ioredis's timer for it is over: nothing of the
   * broker is left to hold the process.
   */
  async end(): Promise<void> {
    await Promise.all([this.endOne(this.subscriber), this.ownsCommand ? this.endOne(this.command) : undefined]);
  }

  /** host:port of the Redis server, for messages (never the password). */
  target(): string {
    const options = this.command.options;
    if (options.path) return options.path;
    return `${options.host ?? '127.0.0.1'}:${options.port ?? 6379}${options.db ? `/${options.db}` : ''}`;
  }

  private async endOne(client: Redis): Promise<void> {
    if (client.status === 'end') return;
    if (client.status === 'ready') {
      try {
        await withTimeout(client.quit(), this.commandTimeoutMs);
        return;
      } catch {
        // Fall through to a hard disconnect.
      }
    }
    const hadSocket = client.status !== 'wait';
    client.disconnect();
    if (!hadSocket) return;
    const wait = disconnectTimeoutMs(this.commandTimeoutMs) + 1;
    await new Promise((resolve) => setTimeout(resolve, wait));
  }
}
