import type { Logger } from '@nestjs/common';
import type { ConnectionOptions, Msg, NatsConnection, Status, Subscription } from 'nats';
import type { SseBrokerPosition, SseBrokerSentMessage } from '../sse-broker.interface.js';
import { backoffDelay } from '../shared/broker-backoff.js';
import { parseSentMessage } from '../shared/broker-sent-message.js';
import { reasonOf } from '../shared/broker-failure-reason.js';
import type { NatsSseStoredEvent } from './nats-sse.codec.js';
import { NatsSseFeed } from './nats-sse-feed.js';
import { NatsSseJetStream, type NatsModule } from './nats-sse-jetstream.js';
import { NatsSseLinkHealth } from './nats-sse-link-health.js';
import { NATS_SSE_MESSAGES, type NatsSseEffect } from './nats-sse.messages.js';
import type { NatsSseNames } from './nats-sse.names.js';
import { CONNECTION_LOST, NatsSseRefusals } from './nats-sse-refusals.js';
import { ensureStreams } from './nats-sse-streams.js';
import type { ResolvedNatsSseOptions } from './resolve-nats-sse-options.js';

/** Most a failed setup waits before it is tried again (JetStream takes a moment to recover its streams after a restart). */
const MAX_SETUP_RETRY_MS = 1000;
/** The failed setup in a row that is logged. */
const LOGGED_SETUP_FAILURE = 3;
const decoder = new TextDecoder();

/** What the link reports to its broker, in order. */
export interface NatsSseLinkEvents {
  /** A stored event of the namespace (of any channel), in seq order, each once. */
  event(event: NatsSseStoredEvent): void;
  /** A message that is not stored, from any instance. */
  sent(message: SseBrokerSentMessage): void;
  /** The link is back (or the feed restarted): everything after `after` must be read from history. */
  gap(after: SseBrokerPosition): void;
}

/** A promise that rejects when the connection is lost (never resolves), with its rejection handled. */
function lostSignal(): { promise: Promise<never>; lose(): void } {
  let lose!: () => void;
  const promise = new Promise<never>((_, reject) => {
    lose = () => reject(Object.assign(new Error(NATS_SSE_MESSAGES.connectionLost()), { code: CONNECTION_LOST }));
  });
  promise.catch(() => undefined);
  return { promise, lose };
}

/** host:port of a server URL, without its scheme and credentials. Pure. */
export function serverTarget(url: string): string {
  return url.replace(/^[a-z]+:\/\//i, '').replace(/^.*@/, '');
}

/**
 * The broker's link to NATS: its connection (opened from `servers`, retried
 * every `reconnectDelayMs` until the first success, then reconnected by the
 * nats client; or the caller's), the JetStream streams of the namespace, the
 * feed of its events and the subscription to its control subject. On every
 * reconnection (and whenever the feed loses its place) it checks the streams
 * again, reports a `gap` from the position the feed had reached, then starts
 * the feed from there: nothing is received after the gap that the gap does
 * not cover. Logs once when the connection is lost and once when the broker
 * is back.
 */
export class NatsSseLink {
  readonly health: NatsSseLinkHealth;
  readonly refusals: NatsSseRefusals;
  private api: NatsSseJetStream | undefined;
  private feed: NatsSseFeed | undefined;
  private control: Subscription | undefined;
  private statuses: (AsyncIterable<Status> & { stop(): void }) | undefined;
  private currentEpoch = '';
  /** The streams were set up once: the next setup is a resync, which reports a gap. */
  private synced = false;
  /** The connection is up (from its first success until a disconnect, and again from a reconnect). */
  private connected = false;
  private setupRun = 0;
  private setupFailures = 0;
  private timer: NodeJS.Timeout | undefined;
  private wake: (() => void) | undefined;
  private readonly upWaiters: ((up: boolean) => void)[] = [];
  /** Rejects the requests in flight when the connection is lost: they are not left to their timeouts. */
  private lost = lostSignal();
  private closed = false;

  constructor(
    private readonly settings: ResolvedNatsSseOptions,
    private readonly names: NatsSseNames,
    private readonly logger: Logger,
    private readonly events: NatsSseLinkEvents,
  ) {
    const retryAfterSeconds = Math.max(1, Math.ceil(settings.commandTimeoutMs / 1000));
    const target = () => this.target();
    this.refusals = new NatsSseRefusals(target, retryAfterSeconds, settings.commandTimeoutMs, logger);
    this.health = new NatsSseLinkHealth(target, logger);
  }

  /** The epoch of the events stream (known once set up). */
  get epoch(): string {
    return this.currentEpoch;
  }

  /** Every event of the namespace up to here was delivered (the feed's position). */
  get position(): number {
    return this.feed?.position ?? 0;
  }

  /** Starts connecting. Resolves to whether the broker is up within `timeoutMs` (it keeps trying if not). */
  start(nats: NatsModule, timeoutMs: number): Promise<boolean> {
    const up = new Promise<boolean>((resolve) => {
      const timer = setTimeout(() => resolve(false), timeoutMs);
      this.upWaiters.push((value) => {
        clearTimeout(timer);
        resolve(value);
      });
    });
    if (this.settings.connection) void this.attach(this.settings.connection, nats);
    else void this.connectLoop(nats);
    return up;
  }

  /**
   * The JetStream requests, if NATS can take one now (connected, and the
   * streams were set up once: their epoch is known); otherwise throws the
   * error to reject with. While a setup after a reconnection is retried,
   * requests go through: JetStream answers them once it is ready.
   */
  usable(operation: string, effect?: NatsSseEffect): NatsSseJetStream {
    if (this.closed) throw new Error(NATS_SSE_MESSAGES.closed(operation));
    if (!this.api || !this.connected || !this.synced) {
      const reason =
        this.health.lastError ?? (this.connected ? NATS_SSE_MESSAGES.notSetUp() : NATS_SSE_MESSAGES.connectionLost());
      throw this.refusals.unavailable(operation, reason, effect);
    }
    return this.api;
  }

  /**
   * Rejects (with an error `failureKind()` calls `lost`) when the connection
   * is lost, for requests under way to race: the nats client would hold them
   * until the reconnection, or their timeout.
   */
  whenLost(): Promise<never> {
    return this.lost.promise;
  }

  /**
   * No stream answered a request where the namespace's should be (deleted
   * under the broker?): while the link is up, sets the streams up again now
   * (making them anew, with a new epoch, if they are gone), rather than when
   * the feed's heartbeats stop.
   */
  suspect(): void {
    if (!this.closed && this.api && this.health.current === 'up') void this.setup();
  }

  /** Resolves once every event up to `seq` has been delivered (see `NatsSseFeed.reached`). */
  reached(seq: number): { promise: Promise<void>; cancel(): void } {
    return this.feed?.reached(seq) ?? { promise: Promise.resolve(), cancel: () => undefined };
  }

  /** host:port of the server, for messages: the one connected to, else the first configured. Never a password. */
  target(): string {
    const server = this.api && !this.api.nc.isClosed() ? this.api.nc.getServer() : this.settings.servers[0];
    return server ? serverTarget(server) : 'the connection given';
  }

  /** Stops the feed and the subscriptions, and closes the connection if the broker opened it. */
  async close(): Promise<void> {
    if (this.closed) return;
    this.closed = true;
    this.setupRun++;
    // The calls under way are refused now, not when their timeouts end.
    this.lost.lose();
    clearTimeout(this.timer);
    this.wake?.();
    this.statuses?.stop();
    this.control?.unsubscribe();
    this.upWaiters.splice(0).forEach((resolve) => resolve(false));
    const owned = !this.settings.connection;
    // A connection of ours takes its consumer along (the server drops it); on the caller's, it is deleted.
    await this.feed?.stop(!owned && this.connected);
    if (owned && this.api && !this.api.nc.isClosed()) await this.api.nc.close().catch(() => undefined);
  }

  private async connectLoop(nats: NatsModule): Promise<void> {
    const options: ConnectionOptions = {
      servers: [...this.settings.servers],
      name: `nestjs-event-stream ${this.names.namespace}`,
      reconnect: true,
      maxReconnectAttempts: -1,
      reconnectTimeWait: this.settings.reconnectDelayMs,
      // A tenth of the wait (at most the client's default, 100 ms): instances spread out, and none lags long.
      reconnectJitter: Math.min(100, Math.ceil(this.settings.reconnectDelayMs / 10)),
      timeout: Math.max(this.settings.commandTimeoutMs, 1000),
      ...this.settings.natsOptions,
    };
    while (!this.closed) {
      try {
        const nc = await nats.connect(options);
        if (this.closed) return void (await nc.close().catch(() => undefined));
        return this.attach(nc, nats);
      } catch (error) {
        this.health.failed(error);
        await this.sleep(this.settings.reconnectDelayMs);
      }
    }
  }

  private async attach(nc: NatsConnection, nats: NatsModule): Promise<void> {
    const api = await NatsSseJetStream.open(nc, nats, this.settings.commandTimeoutMs);
    if (this.closed) return;
    this.api = api;
    this.connected = !nc.isClosed();
    this.feed = new NatsSseFeed(api, this.names, () => this.currentEpoch, {
      event: (event) => this.events.event(event),
      malformed: (subject) => this.logger.warn(NATS_SSE_MESSAGES.malformedMessage(subject)),
      broken: (reason) => {
        this.logger.warn(NATS_SSE_MESSAGES.feedRestarted(reason, this.position));
        void this.setup();
      },
    });
    this.control = nc.subscribe(this.names.control, { callback: (error, msg) => error || this.onControl(msg) });
    const statuses = nc.status() as AsyncIterable<Status> & { stop(): void };
    this.statuses = statuses;
    void (async () => {
      for await (const status of statuses) this.onStatus(status);
    })();
    void nc.closed().then((error) => {
      this.connected = false;
      if (this.closed) return;
      this.health.end(error ? reasonOf(error) : NATS_SSE_MESSAGES.connectionClosed());
      this.logger.error(NATS_SSE_MESSAGES.connectionEnded(this.target(), this.health.lastError ?? ''));
      this.feed?.pause();
    });
    await this.setup();
  }

  private onStatus(status: Status): void {
    if (this.closed) return;
    if (status.type === 'disconnect') {
      this.connected = false;
      this.lost.lose();
      this.lost = lostSignal();
      this.setupRun++;
      clearTimeout(this.timer);
      this.feed?.pause();
      this.health.lost();
    } else if (status.type === 'reconnect') {
      this.connected = true;
      this.setupFailures = 0;
      void this.setup();
    } else if (status.type === 'error') {
      this.health.failed(status.data);
    }
  }

  /**
   * Makes sure the streams exist (a new epoch if they had to be made again),
   * reports the gap on a resync, and starts the feed from where it was (or,
   * the first time, from the newest event). Retried with backoff while NATS
   * is connected and JetStream refuses or does not answer.
   */
  private async setup(): Promise<void> {
    const run = ++this.setupRun;
    const feed = this.feed!;
    const api = this.api!;
    if (this.synced) this.health.reconnected();
    try {
      const state = await ensureStreams(api, this.names, this.settings, this.logger);
      if (this.closed || run !== this.setupRun) return;
      let position = feed.position;
      if (!this.synced || state.epoch !== this.currentEpoch) position = this.synced ? 0 : state.lastSeq;
      const resync = this.synced;
      this.currentEpoch = state.epoch;
      this.synced = true;
      if (resync) this.events.gap({ epoch: state.epoch, seq: position });
      await feed.start(position);
      if (this.closed || run !== this.setupRun) return;
      this.setupFailures = 0;
      this.refusals.answered();
      this.health.restored();
      this.upWaiters.splice(0).forEach((resolve) => resolve(true));
    } catch (error) {
      if (this.closed || run !== this.setupRun) return;
      this.health.setupFailed(error);
      const delay = backoffDelay(
        { firstMs: this.settings.reconnectDelayMs, maxMs: MAX_SETUP_RETRY_MS },
        this.setupFailures,
      );
      // JetStream takes a moment after a restart: only a setup that still fails on its third try is logged (once).
      if (++this.setupFailures === LOGGED_SETUP_FAILURE) {
        this.logger.error(NATS_SSE_MESSAGES.setupFailed(this.target(), reasonOf(error), delay));
      }
      clearTimeout(this.timer);
      this.timer = setTimeout(() => run === this.setupRun && void this.setup(), delay);
    }
  }

  private onControl(msg: Msg): void {
    if (this.closed) return;
    const message = parseSentMessage(decoder.decode(msg.data));
    if (message) this.events.sent(message);
    else this.logger.warn(NATS_SSE_MESSAGES.malformedMessage(msg.subject));
  }

  /** Waits `ms`, or less if the link is closed meanwhile. */
  private sleep(ms: number): Promise<void> {
    return new Promise((resolve) => {
      this.wake = resolve;
      this.timer = setTimeout(resolve, ms);
    });
  }
}
