import { Logger } from '@nestjs/common';
import { randomBytes } from 'node:crypto';
import { Subject, type Observable } from 'rxjs';
import type {
  SseBroker,
  SseBrokerContext,
  SseBrokerMessage,
  SseBrokerPosition,
  SseBrokerPublishOptions,
  SseBrokerSentMessage,
  SseBrokerStatus,
  SseHistoryPage,
} from '../sse-broker.interface.js';
import { checkChannelName } from '../../protocol/channel-name.js';
import { checkedPublish, checkedRead } from './redis-sse-arguments.js';
import type { RedisSseBrokerOptions } from './redis-sse-broker-options.interface.js';
import { encodeSentMessage, sentMessageOf } from './redis-sse.codec.js';
import type { RedisSseConnections } from './redis-sse-connections.js';
import { RedisSseHistoryReader } from './redis-sse-history-reader.js';
import { RedisSseKeys } from './redis-sse.keys.js';
import { clusterKeyPrefix } from './redis-sse-hash-slot.js';
import { RedisSseLink } from './redis-sse-link.js';
import { RedisSseLinkHealth } from './redis-sse-link-health.js';
import { isTimeout, withTimeout } from './redis-sse-failure.js';
import { REDIS_SSE_MESSAGES, type RedisSseEffect } from './redis-sse.messages.js';
import { RedisSseOpening } from './redis-sse-opening.js';
import { runPublishScript } from './redis-sse-publish.script.js';
import type { RedisSseClient } from './redis-sse-pubsub.js';
import { RedisSseStats } from './redis-sse-stats.js';
import { resolveRedisSseOptions, type ResolvedRedisSseOptions } from './resolve-redis-sse-options.js';

/**
 * The broker for several instances of an app: positions, history and
 * delivery shared through Redis (with ioredis).
 *
 * ```ts
 * import { RedisSseBroker, RedisSseScheduleLock } from 'nestjs-event-stream/redis';
 *
 * const broker = new RedisSseBroker({ url: process.env.SSE_REDIS_URL, keyPrefix: 'sse:' });
 * SseModule.forRoot({ broker, scheduleLock: new RedisSseScheduleLock(broker) })
 * ```
 *
 * - Every event gets its position from one Redis sequence per namespace (the
 *   key prefix) and is stored, trimmed and published by one Lua script, so
 *   every instance receives the events of a channel exactly once, in seq
 *   order. Payloads are stored and moved as given: the hub frames them.
 * - History lives in Redis (a stream per channel), read in bounded pages: a
 *   client can resume on any instance, and after a restart of the app. It is
 *   bounded in events, age, bytes per channel and in all, and channels (see
 *   `RedisSseHistoryOptions`); a resume past what was let go of says `expired`.
 * - `publish(channel, payload, { idempotencyKey })` stores a retried publish
 *   once, across instances, within `idempotencyTtlMs`.
 * - One command connection and one subscriber connection per instance,
 *   whatever the number of streams. Channels are subscribed by exact name.
 * - While Redis is away, nothing crashes: publishing rejects at once with
 *   `RedisSseUnavailableError` (a 503), local streams stay open, and once it
 *   is back the broker resubscribes and reports a `gap` on `messages$`, from
 *   which the hub catches its streams up. While it is connected but does not
 *   answer, every call rejects so after `commandTimeoutMs`; a publish then
 *   says that it may have been published (`maybePublished`). `status()`
 *   says `down`, `resyncing` or `up`, for health checks.
 * - `clusterCount()` counts streams across instances (eventually
 *   consistent); `RedisSseScheduleLock` runs each scheduled tick once.
 * - On a Redis Cluster (`cluster: true`, or `'auto'` to ask the node of
 *   `url`), the namespace's keys share one hash tag, so its scripts run on
 *   one slot, and Pub/Sub is sharded where the server has it: see
 *   docs/redis-cluster.md.
 *
 * ```ts
 * // Any node of the cluster leads to the others.
 * const broker = new RedisSseBroker({ url: 'redis://10.0.0.5:7000', cluster: 'auto', keyPrefix: 'sse:' });
 * ```
 */
export class RedisSseBroker implements SseBroker {
  /** This instance's id in the namespace (for statistics and locks). */
  readonly instanceId = randomBytes(8).toString('hex');
  private readonly subject = new Subject<SseBrokerMessage>();
  readonly messages$: Observable<SseBrokerMessage> = this.subject.asObservable();

  private readonly logger = new Logger('RedisSseBroker');
  private readonly settings: ResolvedRedisSseOptions;
  /** Where the namespace's things are: with the cluster's hash tag once connections to a cluster are made. */
  private keys: RedisSseKeys;
  private reader: RedisSseHistoryReader;
  /** Finding out what the server is (a cluster?) and making the connections, until the link takes over. */
  private opening: RedisSseOpening | undefined;
  private link: RedisSseLink | undefined;
  private stats: RedisSseStats | undefined;
  private connecting = false;
  private closed = false;
  /** When the broker was made, then closed: the \`since\` of \`status()\` without a link. */
  private since = Date.now();

  constructor(options: RedisSseBrokerOptions = {}) {
    this.settings = resolveRedisSseOptions(options);
    this.keys = new RedisSseKeys(this.settings.keyPrefix);
    this.reader = new RedisSseHistoryReader(this.keys, this.settings);
  }

  /**
   * The namespace: the prefix of every key and Pub/Sub channel of this
   * broker. On a cluster, with its hash tag: from the start with `cluster:
   * true`; with `'auto'`, once `connect()` has found a cluster (before, and
   * on a single server, the prefix as given). Read it at each use, not once
   * before `connect()`.
   */
  get keyPrefix(): string {
    return this.keys.prefix;
  }

  /**
   * Opens the connections and subscribes (with `cluster: 'auto'`, once the
   * node of `url` has said whether it is a cluster node). Resolves once Redis
   * is ready, or after `connectTimeoutMs` without it (the broker keeps
   * connecting in the background): an unreachable Redis does not stop the
   * app from starting. With a `context`, writes this instance's stream
   * counts for `clusterCount()`.
   */
  async connect(context?: SseBrokerContext): Promise<void> {
    if (this.closed) throw new Error(REDIS_SSE_MESSAGES.closed('connect'));
    if (this.connecting) throw new Error(REDIS_SSE_MESSAGES.alreadyConnected());
    this.connecting = true;
    const { connectTimeoutMs } = this.settings;
    const startedAt = Date.now();
    const opening = new RedisSseOpening(this.settings, this.logger);
    this.opening = opening;
    const connections = await withTimeout(opening.opened, connectTimeoutMs).catch((error: unknown) => {
      if (isTimeout(error)) return null;
      throw error;
    });
    if (this.closed) return;
    if (connections === null) {
      // The server has not said what it is yet: the app starts, and the link once it has.
      this.logger.warn(REDIS_SSE_MESSAGES.startedWithoutRedis(opening.target(), connectTimeoutMs));
      opening.opened.then(
        (later) => later && !this.closed && void this.startLink(later, context, 0),
        (error: unknown) => this.logger.error(REDIS_SSE_MESSAGES.openFailed(error)),
      );
      return;
    }
    // Undefined: closed while opening.
    if (!connections) return;
    await this.startLink(connections, context, Math.max(0, connectTimeoutMs - (Date.now() - startedAt)));
  }

  /** Makes the link on `connections` and starts it (waiting `timeoutMs` at most: 0 in the background), then the statistics. */
  private async startLink(
    connections: RedisSseConnections,
    context: SseBrokerContext | undefined,
    timeoutMs: number,
  ): Promise<void> {
    if (connections.cluster && this.keys.prefix !== clusterKeyPrefix(this.keys.prefix)) {
      this.keys = new RedisSseKeys(clusterKeyPrefix(this.keys.prefix));
      this.reader = new RedisSseHistoryReader(this.keys, this.settings);
    }
    const health = new RedisSseLinkHealth(connections, this.logger);
    if (this.opening) health.continueFrom(this.opening.health);
    const link = new RedisSseLink(
      connections,
      this.keys,
      this.keys.instance(this.instanceId),
      this.settings,
      this.logger,
      { deliver: (message) => this.subject.next(message), restored: () => void this.stats?.beat() },
      health,
    );
    this.link = link;
    const up = await link.start(timeoutMs);
    if (this.closed) return;
    if (!up && timeoutMs > 0) {
      this.logger.warn(REDIS_SSE_MESSAGES.startedWithoutRedis(link.target(), this.settings.connectTimeoutMs));
    }
    if (this.settings.statsIntervalMs > 0 && typeof context?.localCounts === 'function') {
      const { statsIntervalMs, commandTimeoutMs } = this.settings;
      this.stats = new RedisSseStats(
        this.keys,
        this.instanceId,
        statsIntervalMs,
        commandTimeoutMs,
        context,
        link,
        this.logger,
      );
      this.stats.start();
    }
  }

  /**
   * Stores the payload and delivers it to every instance, in one atomic
   * script, within the history's bounds; resolves to its position. With an
   * `idempotencyKey` the namespace has seen on the channel within
   * `idempotencyTtlMs`, stores and delivers nothing and resolves to the first
   * one's position. Rejects with `RedisSseUnavailableError` at once while
   * Redis is unreachable (nothing is queued: `maybePublished` false), and
   * after `commandTimeoutMs` when it does not answer (`maybePublished` true:
   * retry with the same key).
   */
  async publish(channel: string, payload: string, options: SseBrokerPublishOptions = {}): Promise<SseBrokerPosition> {
    const publish = checkedPublish(channel, payload, options);
    return this.command(`publish to channel ${JSON.stringify(channel)}`, 'publish', (client, link) =>
      runPublishScript(client, this.keys, this.settings, link.pubsub, publish),
    );
  }

  /** Delivers a broadcast, targeted send or disconnect to every instance (not stored). Rejects like `publish()`. */
  async send(message: SseBrokerSentMessage): Promise<void> {
    const checked = sentMessageOf(message);
    if (!checked) throw new TypeError(REDIS_SSE_MESSAGES.invalidMessage(message));
    await this.command(`send a ${checked.type} message`, 'send', (client, link) =>
      link.pubsub.publish(client, this.keys.control, encodeSentMessage(checked)),
    );
  }

  /**
   * SUBSCRIBEs to the channel's exact Pub/Sub name and resolves once Redis
   * has confirmed it (the hub reads history only after that, which is what
   * makes a catch-up gap-free), within `commandTimeoutMs`: while Redis is
   * away it waits for the resubscription, while it does not answer for the
   * confirmation; past it, rejects with `RedisSseUnavailableError`.
   */
  async subscribe(channel: string): Promise<void> {
    checkChannelName(channel);
    const operation = `join channel ${JSON.stringify(channel)}`;
    await this.linkFor(operation).subscribe(channel, operation);
  }

  /** UNSUBSCRIBEs from the channel's Pub/Sub name. Never rejects for a lost connection. */
  async unsubscribe(channel: string): Promise<void> {
    checkChannelName(channel);
    if (this.closed) return;
    await this.link?.unsubscribe(channel);
  }

  /**
   * At most `limit` (1 to 10000) events of `channels` after `after`, in seq
   * order, read in one atomic script that takes at most `limit + 1` entries
   * of each channel. See `SseHistoryPage` for `more`, `reset` and `head`.
   */
  async read(channels: readonly string[], after: SseBrokerPosition, limit: number): Promise<SseHistoryPage> {
    const names = checkedRead(channels, after, limit);
    return this.command('read history', undefined, (client) => this.reader.read(client, names, after, limit));
  }

  /**
   * The namespace's newest position (seq 0 before its first event), its
   * epoch created if it has none yet: the one every later publish gets.
   * Read in one script that also publishes a sync marker to this instance,
   * and resolved once that marker has arrived: every event up to the
   * position of the subscribed channels has been delivered on `messages$`.
   * Rejects like `read()`: at once while Redis is unreachable, after
   * `commandTimeoutMs` when it (or the marker) does not come.
   */
  async head(): Promise<SseBrokerPosition> {
    const operation = 'read the newest position';
    return this.command(operation, undefined, (client, link) => link.head(client));
  }

  /**
   * Open streams across every live instance of the namespace: joined to
   * `channel`, or all of them. Eventually consistent: each instance writes its
   * counts every `statsIntervalMs`, and an instance that stopped writing
   * drops out after three intervals.
   */
  async clusterCount(channel?: string): Promise<number> {
    if (channel !== undefined) checkChannelName(channel);
    return this.withCommandClient('count streams across instances', (client) =>
      RedisSseStats.count(client, this.keys, channel),
    );
  }

  /**
   * Runs `run` on the broker's command connection, for the companions of the
   * broker (`RedisSseScheduleLock`): rejects as the broker's own operations
   * do, with `RedisSseUnavailableError` while Redis is unreachable (without
   * calling `run`), when the command fails for want of Redis or when it is
   * not answered within `commandTimeoutMs`, and with a plain error when Redis
   * answers with one. `operation` ends the sentence "could not ...". Keys
   * must start with `keyPrefix`.
   */
  withCommandClient<T>(operation: string, run: (client: RedisSseClient) => Promise<T>): Promise<T> {
    return this.command(operation, undefined, run);
  }

  /**
   * The link's state now, for health checks: `down` before `connect()`, until
   * Redis has answered once, during an outage (the last connection error as
   * `detail`, never a password) and once closed; `resyncing` from when both
   * connections are back until the broker has resubscribed to its channels and
   * delivered its `gap` on `messages$` (from which the hub catches its streams
   * up; `down` again while Redis refuses or does not answer the
   * resubscription, which is retried with backoff); `up` otherwise. Redis that
   * is connected but does not answer (a call timed out) is `down` until it
   * answers again. `since`: when the state last changed.
   */
  status(): SseBrokerStatus {
    if (this.closed) return { state: 'down', detail: REDIS_SSE_MESSAGES.statusClosed(), since: this.since };
    if (this.link) return this.link.health.status();
    if (this.opening) return this.opening.health.status();
    return { state: 'down', detail: REDIS_SSE_MESSAGES.statusNotConnected(), since: this.since };
  }

  /** Ends the connections it opened (never a `client` it was given) and its timers, and completes `messages$`. */
  async close(): Promise<void> {
    if (this.closed) return;
    this.closed = true;
    this.since = Date.now();
    await this.stats?.stop();
    const opened = await this.opening?.close();
    // Connections made while it was closing, which no link took, are ended here.
    if (this.link) await this.link.close();
    else await opened?.end();
    this.subject.complete();
  }

  /**
   * Runs `run` on the command connection, for at most `commandTimeoutMs`.
   * `effect`: what the operation does that a client must be told may have
   * happened when Redis does not answer it (a publish, a send).
   */
  private async command<T>(
    operation: string,
    effect: RedisSseEffect,
    run: (client: RedisSseClient, link: RedisSseLink) => Promise<T>,
  ): Promise<T> {
    const link = this.linkFor(operation, effect);
    const client = link.commandFor(operation, effect);
    try {
      const result = await withTimeout(link.guard(run(client, link)), this.settings.commandTimeoutMs);
      link.answered();
      return result;
    } catch (error) {
      throw link.failure(operation, error, effect);
    }
  }

  private linkFor(operation: string, effect?: RedisSseEffect): RedisSseLink {
    if (this.closed) throw new Error(REDIS_SSE_MESSAGES.closed(operation));
    if (this.link) return this.link;
    // Connecting, the server not known yet: a 503, as during an outage.
    if (this.opening) throw this.opening.refuse(operation, effect);
    throw new Error(REDIS_SSE_MESSAGES.notConnected(operation));
  }
}
