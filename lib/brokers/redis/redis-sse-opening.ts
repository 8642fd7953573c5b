import type { Logger } from '@nestjs/common';
import type { Redis } from 'ioredis';
import { loadOptionalPackage } from '../../utils/load-optional-package.js';
import { RedisSseClusterConnections } from './redis-sse-cluster-connections.js';
import { endConnection, ownOptions, retryStrategy, type RedisSseConnections } from './redis-sse-connections.js';
import { withTimeout } from './redis-sse-failure.js';
import { refuseIoredisKeyPrefix } from './redis-sse-ioredis-prefix.js';
import { RedisSseLinkHealth } from './redis-sse-link-health.js';
import { REDIS_SSE_MESSAGES, type RedisSseEffect } from './redis-sse.messages.js';
import { probeServer, RedisSseProbeRefusal, type RedisSseServerKind } from './redis-sse-probe.js';
import { pubSubFor, type RedisSseClient } from './redis-sse-pubsub.js';
import { RedisSseRefusals } from './redis-sse-refusals.js';
import { RedisSseRetry } from './redis-sse-retry.js';
import { RedisSseStandaloneConnections } from './redis-sse-standalone-connections.js';
import type { RedisSseUnavailableError } from './redis-sse-unavailable.error.js';
import type { ResolvedRedisSseOptions } from './resolve-redis-sse-options.js';

/**
 * The start of a broker's life, before its link: finds out what the server
 * is, when the options leave it open (`cluster: 'auto'`, or a cluster whose
 * Pub/Sub is `'auto'`), by asking the node of `url` (or the app's `Cluster`)
 * once it answers, then makes the connections for it (`opened`). A single
 * server (`cluster: false`) is not asked: its connections are made at once.
 *
 * Until it knows, the broker is `down` and refuses with
 * `RedisSseUnavailableError`; an unreachable server is logged once
 * (`No connection to Redis`), and the link's first `Reconnected to Redis`
 * ends that outage (`health`, which the link continues from).
 */
export class RedisSseOpening {
  /** The state while the server is being asked, and its outage log line. */
  readonly health: RedisSseLinkHealth;
  /** The connections, once the server is known; `undefined` if the broker closed first. */
  readonly opened: Promise<RedisSseConnections | undefined>;
  private readonly refusals: RedisSseRefusals;
  private readonly retry = new RedisSseRetry();
  /** The connection the question goes on, when the opening made it (from `url`). */
  private probe: Redis | undefined;
  /** Ends the current wait (for the probe connection, or a retry) at once: set while waiting. */
  private wake: (() => void) | undefined;
  private cancelled = false;
  /** Detaches the outage watch from the probe connection. */
  private stopWatching: (() => void) | undefined;

  constructor(
    private readonly settings: ResolvedRedisSseOptions,
    private readonly logger: Logger,
  ) {
    const retryAfterSeconds = Math.max(1, Math.ceil(settings.commandTimeoutMs / 1000));
    this.refusals = new RedisSseRefusals(() => this.target(), retryAfterSeconds, logger);
    this.health = new RedisSseLinkHealth(this, logger);
    this.opened = this.open();
  }

  /** Where the question goes (host:port), for messages. */
  target(): string {
    const options = this.probe?.options;
    return options ? `${options.host ?? '127.0.0.1'}:${options.port ?? 6379}` : REDIS_SSE_MESSAGES.clusterTarget('');
  }

  /** What an operation asked for before the server is known rejects with: a 503, nothing was sent. */
  refuse(operation: string, effect?: RedisSseEffect): RedisSseUnavailableError {
    const reason = this.health.lastError ?? REDIS_SSE_MESSAGES.probing();
    return this.refusals.unavailable(operation, reason, effect);
  }

  /**
   * Stops asking, and ends the connection it asked on; `opened` then
   * resolves to `undefined`. Resolves to the connections if they were made
   * before (the broker ends them when no link took them), `undefined` if
   * not or if the opening failed (a failure was logged: closing goes on).
   */
  async close(): Promise<RedisSseConnections | undefined> {
    this.cancelled = true;
    this.retry.cancel();
    this.wake?.();
    return this.opened.catch(() => undefined);
  }

  private async open(): Promise<RedisSseConnections | undefined> {
    const kind = await this.kind();
    if (!kind || this.cancelled) return undefined;
    const pubsub = pubSubFor(this.settings.pubsub, kind);
    if (kind.cluster || pubsub.sharded) refuseIoredisKeyPrefix(this.settings, kind.cluster ? 'cluster' : 'sharded');
    const connections = kind.cluster
      ? await RedisSseClusterConnections.open(this.settings, pubsub)
      : await RedisSseStandaloneConnections.open(this.settings, pubsub);
    if (!this.cancelled) return connections;
    // Closed while they were being made: nobody takes them (their listeners on an app's client go too).
    await connections.end();
    return undefined;
  }

  /** What the server is: from the options when they say, else asked until it answers (or the broker closes). */
  private async kind(): Promise<RedisSseServerKind | undefined> {
    const { cluster, pubsub, client } = this.settings;
    if (cluster === false) return { cluster: false, sharded: false };
    if (cluster === true && pubsub !== 'auto') return { cluster: true, sharded: pubsub === 'sharded' };
    const asked = client ?? (await this.openProbe());
    try {
      for (;;) {
        if (this.cancelled) return undefined;
        try {
          if (!client) await this.ready(asked as Redis);
          if (this.cancelled) return undefined;
          const kind = await withTimeout(probeServer(asked), this.settings.commandTimeoutMs);
          if (cluster !== true || kind.cluster) return kind;
          // Told it is a cluster, but the node says it is not: say so, and stay a cluster (it is down until it is one).
          this.logger.error(REDIS_SSE_MESSAGES.notACluster(this.target()));
          return { cluster: true, sharded: false };
        } catch (error) {
          if (this.cancelled) return undefined;
          // Asking again would get the same refusal: the opening fails, saying what to do.
          if (error instanceof RedisSseProbeRefusal) throw error;
          this.health.failed(error);
          await new Promise<void>((resolve) => {
            this.wake = resolve;
            this.retry.schedule(resolve);
          });
        }
      }
    } finally {
      this.wake = undefined;
      // Its end is no outage.
      this.stopWatching?.();
      if (this.probe) await endConnection(this.probe, this.settings.commandTimeoutMs);
    }
  }

  /** A connection of its own to the node of `url`, which ioredis reconnects until the question is answered. */
  private async openProbe(): Promise<RedisSseClient> {
    const Redis = await loadOptionalPackage('ioredis', 'RedisSseBroker', async () => (await import('ioredis')).Redis);
    const { url, redisOptions, commandTimeoutMs } = this.settings;
    const options = { retryStrategy, ...redisOptions, ...ownOptions(commandTimeoutMs) };
    const probe = url ? new Redis(url, options) : new Redis(options);
    this.probe = probe;
    probe.on('error', (error: Error) => this.health.failed(error));
    const onClose = () => this.health.lost();
    probe.on('close', onClose);
    this.stopWatching = () => probe.off('close', onClose);
    if (!this.cancelled) probe.connect().catch(() => undefined);
    return probe;
  }

  /** Resolves once `probe` is ready (or the wait is cut short by `close()`). */
  private ready(probe: Redis): Promise<void> {
    if (probe.status === 'ready') return Promise.resolve();
    return new Promise((resolve) => {
      const done = () => {
        probe.off('ready', done);
        this.wake = undefined;
        resolve();
      };
      this.wake = done;
      probe.on('ready', done);
    });
  }
}
