import type { Logger } from '@nestjs/common';
import type { SseBrokerMessage, SseBrokerPosition } from '../sse-broker.interface.js';
import type { RedisSseConnections } from './redis-sse-connections.js';
import { isTimeout, reasonOf, withTimeout } from './redis-sse-failure.js';
import { RedisSseInFlight } from './redis-sse-in-flight.js';
import { RedisSseIntake } from './redis-sse-intake.js';
import type { RedisSseKeys } from './redis-sse.keys.js';
import { REDIS_SSE_MESSAGES, type RedisSseEffect } from './redis-sse.messages.js';
import { RedisSseRefusals } from './redis-sse-refusals.js';
import { RedisSseWaiters } from './redis-sse-waiters.js';
import type { RedisSseLinkHealth } from './redis-sse-link-health.js';
import type { RedisSseClient } from './redis-sse-pubsub.js';
import { RedisSseMarkers } from './redis-sse-markers.js';
import { RedisSseRetry } from './redis-sse-retry.js';
import { syncSubscriber } from './redis-sse-sync.js';

/** What the link reports to its broker. */
export interface RedisSseLinkEvents {
  /** A message for this instance, in order: channel events, messages not stored, and `gap` after a reconnection. */
  deliver(message: SseBrokerMessage): void;
  /** Both connections are back after an outage. */
  restored(): void;
}

/**
 * The broker's link to Redis: the state of its two connections and of the
 * subscriptions. Subscribes on every (re)connection and, on a reconnection,
 * reports a `gap` from the position reached before the link dropped, before
 * anything received after it; holds what arrives while a subscription is
 * being set up (at most `maxHeldMessages`: past it, channel events are let go
 * of and a `gap` makes the hub read them from history). Logs once when the
 * link is lost and once when it is back; the details of refused operations
 * once per outage and reason.
 */
export class RedisSseLink {
  /** The channels this instance has streams in: subscribed on every (re)connection. */
  private readonly channels = new Set<string>();
  /** The current subscriber connection has subscribed to every channel. */
  private subscribed = false;
  /** The subscriber has been ready once: the next ready is a reconnection. */
  private synced = false;
  private syncRun = 0;
  /** A sync that Redis refused or did not answer is run again, with backoff, while the subscriber stays ready. */
  private readonly syncRetry = new RedisSseRetry();
  /** A reconnection's `gap`, waiting for the command connection (that the hub reads history on) to be ready. */
  private pendingCatchUp: (() => void) | undefined;
  /** What arrives on the subscriber: held during a (re)subscription, then delivered, and the position it reached. */
  private readonly intake: RedisSseIntake;
  /** Joins waiting for the subscriber to be back. */
  private readonly waiters = new RedisSseWaiters();
  /** The commands in flight, rejected as soon as the link can no longer run commands. */
  private readonly inFlight = new RedisSseInFlight();
  /** `start()` waiting for both connections to be up. */
  private readonly upWaiters = new RedisSseWaiters();
  private readonly detach: (() => void)[] = [];
  private closed = false;
  private readonly refusals: RedisSseRefusals;
  private readonly markers: RedisSseMarkers;

  constructor(
    private readonly connections: RedisSseConnections,
    private readonly keys: RedisSseKeys,
    /** This instance's Pub/Sub channel, for sync markers. */
    private readonly instanceChannel: string,
    private readonly settings: { readonly commandTimeoutMs: number; readonly maxHeldMessages: number },
    private readonly logger: Logger,
    private readonly events: RedisSseLinkEvents,
    /** The link's state (`status()`), its last error and its outage log lines. */
    readonly health: RedisSseLinkHealth,
  ) {
    const retryAfterSeconds = Math.max(1, Math.ceil(settings.commandTimeoutMs / 1000));
    this.refusals = new RedisSseRefusals(() => this.target(), retryAfterSeconds, logger);
    const { pubsub, subscriber } = connections;
    const received = () => this.intake.position;
    this.markers = new RedisSseMarkers(keys, instanceChannel, settings.commandTimeoutMs, pubsub, received);
    const deliver = (message: SseBrokerMessage) => events.deliver(message);
    const reached = () => this.markers.advanced();
    this.intake = new RedisSseIntake(keys, instanceChannel, settings.maxHeldMessages, logger, deliver, reached);
    this.listen(connections.command, 'command');
    this.listen(subscriber, 'subscriber');
    const onMessage = (pubsubChannel: string, text: string) => !this.closed && this.intake.receive(pubsubChannel, text);
    subscriber.on(pubsub.messageEvent, onMessage);
    this.detach.push(() => subscriber.off(pubsub.messageEvent, onMessage));
  }

  /** Starts connecting. Resolves to whether both connections are up within `timeoutMs`. */
  start(timeoutMs: number): Promise<boolean> {
    this.connections.start();
    if (this.subscribed && this.commandReady()) return Promise.resolve(true);
    return this.upWaiters
      .wait(timeoutMs, () => false)
      .then(() => !this.closed)
      .catch(() => false);
  }

  /**
   * SUBSCRIBEs to the channel's exact Pub/Sub name and resolves once Redis
   * has confirmed it, within `commandTimeoutMs`: while Redis is away it waits
   * for the resubscription, while it does not answer for the confirmation.
   */
  async subscribe(channel: string, operation: string): Promise<void> {
    this.channels.add(channel);
    if (this.subscribed) {
      try {
        // Also a late confirmation says that Redis answers again (the health goes back to up after a stall).
        const subscribed = this.subscribeOne(channel).then(() => this.answered());
        await withTimeout(subscribed, this.settings.commandTimeoutMs);
        this.markers.queue(() => this.readyCommand());
        return;
      } catch (error) {
        if (this.closed) throw new Error(REDIS_SSE_MESSAGES.closed(operation));
        // Connected, not answering: refused now (the subscription stays queued; the hub unsubscribes after it).
        if (isTimeout(error)) throw this.failure(operation, error);
        this.health.failed(error);
        // The connection dropped: the resubscription after it comes back includes this channel.
      }
    } else if (this.pendingCatchUp && this.connections.subscriber.status === 'ready') {
      // The resubscription is done and waits for the command connection: it will not come back to this channel.
      try {
        await withTimeout(this.subscribeOne(channel), this.settings.commandTimeoutMs);
      } catch (error) {
        if (this.closed) throw new Error(REDIS_SSE_MESSAGES.closed(operation));
        this.health.failed(error);
      }
    }
    await this.nextSync(operation);
  }

  /** UNSUBSCRIBEs; never rejects for a lost connection (the resubscription after it leaves the channel out). */
  async unsubscribe(channel: string): Promise<void> {
    this.channels.delete(channel);
    const subscriber = this.connections.subscriber;
    if (this.closed || subscriber.status !== 'ready') return;
    try {
      await this.connections.pubsub.unsubscribe(subscriber, [this.keys.channel(channel)]);
    } catch {
      // The connection dropped: the resubscription leaves this channel out.
    }
  }

  /** The command connection, if it can take a command now; otherwise throws the error to reject with. */
  commandFor(operation: string, effect?: RedisSseEffect): RedisSseClient {
    if (this.closed) throw new Error(REDIS_SSE_MESSAGES.closed(operation));
    if (!this.canCommand()) {
      const status = this.connections.commandStatus();
      const reason =
        this.health.lastError ?? REDIS_SSE_MESSAGES.connectionState(status === 'ready' ? 'resubscribing' : status);
      throw this.refusals.unavailable(operation, reason, effect);
    }
    return this.connections.command;
  }

  /** The command connection if it is ready, for work that is skipped otherwise. */
  readyCommand(): RedisSseClient | undefined {
    return !this.closed && this.canCommand() ? this.connections.command : undefined;
  }

  /** The Pub/Sub the namespace uses (what the publish script publishes with). */
  get pubsub(): RedisSseConnections['pubsub'] {
    return this.connections.pubsub;
  }

  /**
   * The namespace's newest position, read on `client` (the command
   * connection), once this instance has received every event up to it: see
   * `RedisSseMarkers`.
   */
  head(client: RedisSseClient): Promise<SseBrokerPosition> {
    return this.markers.head(client);
  }

  /** `command` (in flight on the command connection), rejected as soon as the link cannot run commands: see `RedisSseInFlight`. */
  guard<T>(command: Promise<T>): Promise<T> {
    return this.inFlight.guard(command);
  }

  /** What an operation whose command failed rejects with (see `RedisSseRefusals.failure()`). */
  failure(operation: string, error: unknown, effect?: RedisSseEffect): Error {
    // Connected but not answering (stalled): down until Redis answers again.
    if (isTimeout(error)) this.health.stalled(this.settings.commandTimeoutMs);
    return this.refusals.failure(operation, error, effect);
  }

  /** Redis answered a command: the next refusal's details are logged again, and a stall is over. */
  answered(): void {
    this.refusals.answered();
    this.health.answered();
  }

  /** host:port of the Redis server, for messages. */
  target(): string {
    return this.connections.target();
  }

  /** Rejects waiting joins, ends the connections it opened and detaches its listeners. */
  async close(): Promise<void> {
    if (this.closed) return;
    this.closed = true;
    this.syncRetry.cancel();
    this.waiters.rejectAll(new Error(REDIS_SSE_MESSAGES.closed('join a channel')));
    this.markers.close(new Error(REDIS_SSE_MESSAGES.closed('read the newest position')));
    this.upWaiters.resolveAll();
    await this.connections.end();
    this.detach.splice(0).forEach((detach) => detach());
  }

  private listen(client: RedisSseClient, role: 'command' | 'subscriber'): void {
    const onError = (error: Error) => {
      this.health.failed(error);
    };
    const onClose = () => this.onClose(role);
    const onReady = () => this.onReady(role);
    // On a cluster: the server ended the shard subscriptions (the slot moved); the connections follow it.
    const onMoved = () => this.health.failed(new Error(REDIS_SSE_MESSAGES.slotMoved()));
    const events: Record<string, (error: Error) => void> = {
      error: onError,
      close: onClose,
      ready: onReady,
      moved: onMoved,
    };
    // A cluster client's new slot map may be what its commands waited for.
    if (role === 'command') events.refresh = onReady;
    for (const [event, listener] of Object.entries(events)) client.on(event, listener);
    this.detach.push(() => Object.entries(events).forEach(([event, listener]) => client.off(event, listener)));
  }

  private onClose(role: 'command' | 'subscriber'): void {
    if (this.closed) return;
    if (role === 'subscriber') {
      this.subscribed = false;
      // The next 'ready' syncs again.
      this.syncRetry.cancel();
      // What was held is of a connection that is gone: the gap of the next sync covers it.
      this.intake.drop();
    }
    this.health.lost();
    // The command connection went with it (on a cluster, the subscriber's master is the namespace's).
    if (!this.commandReady()) this.inFlight.abortAll(new Error(REDIS_SSE_MESSAGES.connectionClosed()));
  }

  private onReady(role: 'command' | 'subscriber'): void {
    if (this.closed) return;
    if (this.commandReady() && this.connections.subscriber.status === 'ready') this.health.connected();
    if (role === 'subscriber') {
      void this.sync();
      return;
    }
    // (On a cluster, 'refresh' comes here too: the commands may still wait for the slot map.)
    if (this.commandReady()) this.pendingCatchUp?.();
    this.checkUp();
  }

  /**
   * Sets up a (re)connected subscriber (`syncSubscriber()`), then completes
   * the sync, on a reconnection only once the command connection is ready
   * too. When Redis refuses or does not answer, the link is down and the
   * sync runs again with backoff while the subscriber stays ready.
   */
  private async sync(): Promise<void> {
    const subscriber = this.connections.subscriber;
    const run = ++this.syncRun;
    this.intake.hold();
    let synced: { epoch: string; head: number };
    try {
      const timeoutMs = this.settings.commandTimeoutMs;
      synced = await syncSubscriber(this.connections, this.keys, this.instanceChannel, this.channels, timeoutMs);
    } catch (error) {
      if (run === this.syncRun) this.intake.drop();
      const failed = this.closed || run !== this.syncRun ? undefined : this.connections.subscriberFailed(error);
      if (this.closed || run !== this.syncRun || subscriber.status !== 'ready' || failed === 'moving') {
        // The connection dropped again, or moves to another node: the next 'ready' starts over.
        this.health.failed(error);
        return;
      }
      this.health.setupFailed(error);
      const first = this.syncRetry.attempts === 0;
      // A cluster between states (coming back, moving a slot) or a server loading is no news: it is retried
      // quietly, at the first delay (it is ok again any moment).
      if (failed === 'transient') this.syncRetry.succeeded();
      const delay = this.syncRetry.schedule(() => void this.sync());
      if (first && failed !== 'transient') {
        this.logger.error(REDIS_SSE_MESSAGES.subscribeFailed(this.target(), reasonOf(error), delay));
      }
      return;
    }
    if (this.closed || run !== this.syncRun || subscriber.status !== 'ready') return;
    this.syncRetry.succeeded();
    const { epoch, head } = synced;
    if (this.synced && !this.commandReady()) {
      // The hub reads history through the command connection: until it is back
      // too, live messages stay held, so that nothing slips between the gap's
      // catch-up and what follows it.
      this.pendingCatchUp = () => this.completeSync(run, epoch, head);
      return;
    }
    this.completeSync(run, epoch, head);
  }

  /** Ends a (re)subscription: reports the gap (after a reconnection, or if channel events were let go of), then delivers what was held. */
  private completeSync(run: number, epoch: string, head: number): void {
    this.pendingCatchUp = undefined;
    if (this.closed || run !== this.syncRun || this.connections.subscriber.status !== 'ready') return;
    this.subscribed = true;
    this.intake.resume(epoch, head, this.synced);
    this.synced = true;
    this.waiters.resolveAll();
    this.markers.queue(() => this.readyCommand());
    this.checkUp();
  }

  /** Both connections are ready: resolves those waiting for it, and says so if the link had been down. */
  private checkUp(): void {
    if (!this.subscribed || !this.commandReady()) return;
    this.upWaiters.resolveAll();
    if (this.health.restored()) {
      this.refusals.answered();
      this.events.restored();
    }
  }

  private commandReady(): boolean {
    return this.connections.commandStatus() === 'ready';
  }

  /**
   * Whether commands can be sent now. On a cluster, only once the subscriber
   * has (re)subscribed too: its set-up is the proof that the namespace's
   * master serves its slot again (until then a command would be answered
   * CLUSTERDOWN, and ioredis would retry it out of sight); what is asked
   * meanwhile is refused at once, as while the master is away.
   */
  private canCommand(): boolean {
    return this.commandReady() && (this.subscribed || !this.connections.cluster);
  }

  private subscribeOne(channel: string): Promise<unknown> {
    return this.connections.pubsub.subscribe(this.connections.subscriber, [this.keys.channel(channel)]);
  }

  /** Resolves at the next completed (re)subscription; rejects after `commandTimeoutMs`. */
  private nextSync(operation: string): Promise<void> {
    const timeoutMs = this.settings.commandTimeoutMs;
    return this.waiters.wait(timeoutMs, () =>
      this.refusals.unavailable(operation, this.health.lastError ?? REDIS_SSE_MESSAGES.noAnswer(timeoutMs)),
    );
  }
}
