import type { Logger } from '@nestjs/common';
import type { RedisSseClient } from './redis-sse-pubsub.js';
import type { SseBrokerContext } from '../sse-broker.interface.js';
import { reasonOf, withTimeout } from './redis-sse-failure.js';
import type { RedisSseKeys } from './redis-sse.keys.js';
import { REDIS_SSE_MESSAGES } from './redis-sse.messages.js';
import { CLUSTER_COUNT_SCRIPT, HEARTBEAT_SCRIPT } from './redis-sse.scripts.js';

/** What the heartbeat needs of the link. */
export interface RedisSseStatsLink {
  /** The command connection if it can take a command now. */
  readyCommand(): RedisSseClient | undefined;
  /** Whether an outage is already logged (the heartbeat then stays quiet). */
  readonly health: { readonly outage: boolean };
}

/**
 * The statistics heartbeat: every `intervalMs`, writes this instance's stream
 * counts (from the hub's `localCounts()`) to a hash that expires after three
 * intervals, and lists the instance as live; `count()` sums the live ones.
 */
export class RedisSseStats {
  private timer: NodeJS.Timeout | undefined;
  private failing = false;

  constructor(
    private readonly keys: RedisSseKeys,
    private readonly instanceId: string,
    private readonly intervalMs: number,
    /** How long the goodbye on stop() may take. */
    private readonly timeoutMs: number,
    private readonly context: SseBrokerContext,
    private readonly link: RedisSseStatsLink,
    private readonly logger: Logger,
  ) {}

  /**
   * Open streams across every live instance of the namespace: joined to
   * `channel`, or all of them (`undefined`).
   */
  static async count(client: RedisSseClient, keys: RedisSseKeys, channel: string | undefined): Promise<number> {
    // The script builds the hash names itself: add the client's own ioredis keyPrefix, if any.
    const hashPrefix = `${client.options.keyPrefix ?? ''}${keys.instancePrefix}`;
    const [sum] = (await CLUSTER_COUNT_SCRIPT.run(client, [keys.instances], [hashPrefix, channel ?? '*'])) as [number];
    return Number(sum);
  }

  /** Writes the counts now and every interval. */
  start(): void {
    if (this.timer) return;
    this.timer = setInterval(() => void this.beat(), this.intervalMs);
    this.timer.unref();
    void this.beat();
  }

  /** Writes this instance's counts, with a TTL of three intervals. Never rejects; warns once per failing streak. */
  async beat(): Promise<void> {
    const command = this.link.readyCommand();
    if (!this.timer || !command) return;
    try {
      const counts = this.context.localCounts();
      const args: (string | number)[] = [this.instanceId, 3 * this.intervalMs, '*', counts.connections];
      for (const [channel, streams] of counts.channels) args.push(channel, streams);
      await HEARTBEAT_SCRIPT.run(command, [this.keys.instance(this.instanceId), this.keys.instances], args);
      this.failing = false;
    } catch (error) {
      if (!this.failing && !this.link.health.outage && this.timer) {
        this.logger.warn(REDIS_SSE_MESSAGES.heartbeatFailed(reasonOf(error)));
      }
      this.failing = true;
    }
  }

  /** Stops the heartbeat and removes this instance from the counts (if Redis is reachable). */
  async stop(): Promise<void> {
    if (!this.timer) return;
    clearInterval(this.timer);
    this.timer = undefined;
    const command = this.link.readyCommand();
    if (!command) return;
    const removal = command.multi().del(this.keys.instance(this.instanceId)).zrem(this.keys.instances, this.instanceId);
    await withTimeout(removal.exec(), this.timeoutMs).catch(() => undefined);
  }
}
