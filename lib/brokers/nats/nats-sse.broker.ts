import { Logger } from '@nestjs/common';
import { randomBytes } from 'node:crypto';
import { Subject, type Observable } from 'rxjs';
import type {
  SseBroker,
  SseBrokerMessage,
  SseBrokerPosition,
  SseBrokerPublishOptions,
  SseBrokerSentMessage,
  SseBrokerStatus,
  SseHistoryPage,
} from '../sse-broker.interface.js';
import { checkChannelName } from '../../protocol/channel-name.js';
import { loadOptionalPackage } from '../../utils/load-optional-package.js';
import { checkPublishOptions, checkReadArguments } from '../shared/broker-arguments.js';
import { encodeSentMessage, sentMessageOf } from '../shared/broker-sent-message.js';
import type { NatsSseBrokerOptions } from './nats-sse-broker-options.interface.js';
import type { NatsSseStoredEvent } from './nats-sse.codec.js';
import { NatsSseChannelIndex } from './nats-sse-channel-index.js';
import { readHead } from './nats-sse-head.js';
import { MAX_READ_LIMIT, NatsSseHistoryReader } from './nats-sse-history-reader.js';
import type { NatsSseJetStream } from './nats-sse-jetstream.js';
import { NatsSseLink } from './nats-sse-link.js';
import { NATS_SSE_MESSAGES, type NatsSseEffect } from './nats-sse.messages.js';
import { NatsSseNames } from './nats-sse.names.js';
import { NatsSsePublisher } from './nats-sse-publisher.js';
import { withTimeout } from './nats-sse-timeout.js';
import { resolveNatsSseOptions, type ResolvedNatsSseOptions } from './resolve-nats-sse-options.js';

const encoder = new TextEncoder();

/**
 * The broker for several instances of an app on NATS JetStream (with the
 * `nats` package): positions, history and delivery shared through one
 * stream per namespace.
 *
 * ```ts
 * import { NatsSseBroker, NatsSseScheduleLock } from 'nestjs-event-stream/nats';
 *
 * const broker = new NatsSseBroker({ servers: process.env.SSE_NATS_URL, namespace: 'shop' });
 * SseModule.forRoot({ broker, scheduleLock: new NatsSseScheduleLock(broker) })
 * ```
 *
 * - Every event is a message of the stream `SSE_EVENTS_<namespace>`, on its
 *   channel's subject: its position is the stream's sequence, so the events
 *   of all channels share one order. Payloads are stored and moved as given.
 * - Each instance receives the namespace's events through one ordered push
 *   consumer of its own (in seq order across channels, each once) and keeps
 *   those of the channels it has streams in. Every instance so receives every
 *   event of its namespace: give unrelated apps their own namespaces.
 * - History is the stream itself, read in bounded pages: a client can resume
 *   on any instance, and after a restart of the app or of NATS. It is bounded
 *   in events per channel, age and bytes (JetStream's stream limits), and in
 *   bytes per channel and channels (enforced when publishing); a resume past
 *   what was let go of says `expired`.
 * - `publish(channel, payload, { idempotencyKey })` stores a retried publish
 *   once, across instances, within `idempotencyTtlMs` (JetStream's
 *   duplicate window).
 * - While NATS is away, nothing crashes: publishing rejects at once with
 *   `NatsSseUnavailableError` (a 503), local streams stay open, and once it
 *   is back the broker restarts its consumer where it was and reports a
 *   `gap` on `messages$`, from which the hub catches its streams up.
 *   `status()` says `down`, `resyncing` or `up`, for health checks.
 * - `NatsSseScheduleLock` runs each scheduled tick once, through a KV bucket.
 */
export class NatsSseBroker implements SseBroker {
  /** This instance's id in the namespace (for locks). */
  readonly instanceId = randomBytes(8).toString('hex');
  private readonly subject = new Subject<SseBrokerMessage>();
  readonly messages$: Observable<SseBrokerMessage> = this.subject.asObservable();

  private readonly logger = new Logger('NatsSseBroker');
  private readonly settings: ResolvedNatsSseOptions;
  private readonly names: NatsSseNames;
  private readonly publisher: NatsSsePublisher;
  private readonly reader: NatsSseHistoryReader;
  /** The channels this instance has streams in: the feed's events of other channels are not delivered. */
  private readonly channels = new Set<string>();
  private link: NatsSseLink | undefined;
  private connecting = false;
  private closed = false;
  /** When the broker was made, then closed: the `since` of `status()` without a link. */
  private since = Date.now();

  constructor(options: NatsSseBrokerOptions = {}) {
    this.settings = resolveNatsSseOptions(options);
    this.names = new NatsSseNames(this.settings.namespace);
    const maxTails = Math.min(this.settings.maxChannels, 10_000);
    const index = new NatsSseChannelIndex(this.names, this.settings.maxChannels, maxTails, (channel) =>
      this.publisher.forget(channel),
    );
    const { maxChannelBytes, maxBytes, commandTimeoutMs } = this.settings;
    this.publisher = new NatsSsePublisher(
      this.names,
      index,
      { maxChannelBytes, maxBytes, maxTails, commandTimeoutMs },
      (seq, ms) => this.feedReached(seq, ms),
      this.logger,
    );
    this.reader = new NatsSseHistoryReader(this.names, index, this.settings);
  }

  /** The namespace: what names this broker's streams, bucket and subjects. */
  get namespace(): string {
    return this.names.namespace;
  }

  /**
   * Connects to NATS (or uses the connection given), makes the namespace's
   * streams if they are missing and starts this instance's consumer.
   * Resolves once that is done, or after `connectTimeoutMs` without it (the
   * broker keeps trying in the background): an unreachable NATS does not
   * stop the app from starting.
   */
  async connect(): Promise<void> {
    if (this.closed) throw new Error(NATS_SSE_MESSAGES.closed('connect'));
    if (this.connecting) throw new Error(NATS_SSE_MESSAGES.alreadyConnected());
    this.connecting = true;
    const nats = await loadOptionalPackage('nats', 'NatsSseBroker', () => import('nats'));
    if (this.closed) return;
    const link = new NatsSseLink(this.settings, this.names, this.logger, {
      event: (event) => this.deliver(event),
      sent: (message) => this.subject.next(message),
      gap: (after) => this.subject.next({ type: 'gap', after }),
    });
    this.link = link;
    const up = await link.start(nats, this.settings.connectTimeoutMs);
    if (!up && !this.closed) {
      this.logger.warn(NATS_SSE_MESSAGES.startedWithoutNats(link.target(), this.settings.connectTimeoutMs));
    }
  }

  /**
   * Stores the payload and delivers it to every instance, within the
   * history's bounds; resolves to its position. With an `idempotencyKey`
   * the namespace has seen on the channel within `idempotencyTtlMs`, stores
   * and delivers nothing and resolves to the first one's position. Rejects
   * with `NatsSseUnavailableError` at once while NATS is unreachable
   * (`maybePublished` false), and after `commandTimeoutMs` when it does not
   * answer (`maybePublished` true: retry with the same key); with a
   * `RangeError` for an event larger than the server's `max_payload`.
   */
  async publish(channel: string, payload: string, options: SseBrokerPublishOptions = {}): Promise<SseBrokerPosition> {
    const { except, idempotencyKey } = checkPublishOptions(
      NATS_SSE_MESSAGES,
      'NatsSseBroker.publish()',
      channel,
      options,
    );
    if (typeof payload !== 'string') throw new TypeError(NATS_SSE_MESSAGES.invalidPayload(payload));
    const operation = `publish to channel ${JSON.stringify(channel)}`;
    return this.command(operation, 'publish', async (api, link) => {
      const max = api.nc.info?.max_payload ?? Infinity;
      const bytes = Buffer.byteLength(payload);
      // The headers take some 100 bytes more: the client refuses what exceeds max_payload with them.
      if (bytes >= max) throw new RangeError(NATS_SSE_MESSAGES.payloadTooLarge(bytes, max));
      try {
        const seq = await this.publisher.publish(api, { channel, payload, except, idempotencyKey });
        return { epoch: link.epoch, seq };
      } catch (error) {
        if ((error as { code?: unknown })?.code === 'MAX_PAYLOAD_EXCEEDED') {
          throw new RangeError(NATS_SSE_MESSAGES.payloadTooLarge(bytes, max));
        }
        throw error;
      }
    });
  }

  /** Delivers a broadcast, targeted send, disconnect or revocation to every instance (not stored). Rejects like `publish()`. */
  async send(message: SseBrokerSentMessage): Promise<void> {
    const checked = sentMessageOf(message);
    if (!checked) throw new TypeError(NATS_SSE_MESSAGES.invalidMessage(message));
    const data = encoder.encode(encodeSentMessage(checked));
    await this.command(`send a ${checked.type} message`, 'send', async (api) => {
      const max = api.nc.info?.max_payload ?? Infinity;
      if (data.length > max) throw new RangeError(NATS_SSE_MESSAGES.payloadTooLarge(data.length, max));
      api.nc.publish(this.names.control, data);
      // Flushed: the server has it (and delivers it to every instance, this one included).
      await withTimeout(api.nc.flush(), this.settings.commandTimeoutMs);
    });
  }

  /**
   * Delivers the channel's events here from now on. The feed receives every
   * channel of the namespace already, so this only adds it to the channels
   * kept; rejects with `NatsSseUnavailableError` while NATS is unreachable.
   */
  async subscribe(channel: string): Promise<void> {
    checkChannelName(channel);
    this.linkFor(`join channel ${JSON.stringify(channel)}`).usable(`join channel ${JSON.stringify(channel)}`);
    this.channels.add(channel);
  }

  /** Delivers the channel's events here no more. Never rejects for want of NATS. */
  unsubscribe(channel: string): void {
    checkChannelName(channel);
    this.channels.delete(channel);
  }

  /**
   * At most `limit` (1 to 10000) events of `channels` after `after`, in seq
   * order, reading at most `limit + 1` events of each channel, within
   * `commandTimeoutMs` (else `NatsSseUnavailableError`). See
   * `SseHistoryPage` for `more`, `reset` and `head`.
   */
  async read(channels: readonly string[], after: SseBrokerPosition, limit: number): Promise<SseHistoryPage> {
    const names = checkReadArguments(NATS_SSE_MESSAGES, channels, after, limit, MAX_READ_LIMIT);
    // Each request is bounded; the page as a whole too (it may take several rounds of them).
    return this.command('read history', undefined, (api, link) =>
      withTimeout(this.reader.read(api, link.epoch, names, after, limit), this.settings.commandTimeoutMs),
    );
  }

  /**
   * The namespace's newest position (seq 0 before its first event), resolved
   * once this instance's consumer has delivered every event up to it. Rejects
   * like `read()`: at once while NATS is unreachable, after
   * `commandTimeoutMs` when it (or the consumer) does not answer.
   */
  async head(): Promise<SseBrokerPosition> {
    return this.command('read the newest position', undefined, (api, link) =>
      readHead(api, this.names, link, this.channels.size > 0, this.settings.commandTimeoutMs),
    );
  }

  /**
   * Runs `run` with the broker's JetStream requests, for its companions
   * (`NatsSseScheduleLock`): rejects as the broker's own operations do, with
   * `NatsSseUnavailableError` while NATS is unreachable (without calling
   * `run`) or when a request is not answered within `commandTimeoutMs`, and
   * with a plain error when JetStream refuses it. `operation` ends the
   * sentence "could not ...". Its requests are on objects of their own (a KV
   * bucket): their failures never make the broker set its streams up again.
   */
  withJetStream<T>(operation: string, run: (api: NatsSseJetStream) => Promise<T>): Promise<T> {
    return this.command(operation, undefined, (api) => run(api), false);
  }

  /**
   * The link's state now, for health checks: `down` before `connect()`,
   * until the streams and the consumer are set up, during an outage (with the
   * last error as `detail`, never a password) and once closed; `resyncing`
   * from when the connection is back until the consumer runs again and the
   * `gap` was delivered on `messages$`; `up` otherwise. `since`: when the
   * state last changed.
   */
  status(): SseBrokerStatus {
    if (this.closed) return { state: 'down', detail: NATS_SSE_MESSAGES.statusClosed(), since: this.since };
    if (!this.link) return { state: 'down', detail: NATS_SSE_MESSAGES.statusNotConnected(), since: this.since };
    return this.link.health.status();
  }

  /** Removes its consumer and subscriptions, closes the connection it opened (never one it was given), and completes `messages$`. */
  async close(): Promise<void> {
    if (this.closed) return;
    this.closed = true;
    this.since = Date.now();
    await this.link?.close();
    this.channels.clear();
    this.subject.complete();
  }

  /** Resolves once the feed has delivered `seq`, or after `ms`. */
  private async feedReached(seq: number, ms: number): Promise<void> {
    const reached = this.link?.reached(seq);
    if (!reached) return;
    let timer: NodeJS.Timeout | undefined;
    await Promise.race([reached.promise, new Promise<void>((resolve) => (timer = setTimeout(resolve, ms)))]);
    clearTimeout(timer);
    reached.cancel();
  }

  private deliver(event: NatsSseStoredEvent): void {
    this.publisher.observe(event);
    if (!this.channels.has(event.channel)) return;
    const { channel, epoch, seq, payload, except } = event;
    const message = { type: 'channel' as const, channel, epoch, seq, payload };
    this.subject.next(except === undefined ? message : { ...message, except });
  }

  /**
   * Runs `run` if NATS can take requests now. `effect`: what the operation
   * does that a client must be told may have happened when NATS does not
   * answer it (a publish, a send). Errors of the caller's making (a
   * `TypeError`, a `RangeError`) pass as they are. `onEvents`: its requests
   * are on the namespace's streams, so that a 503 (no stream took it) means
   * they may be gone and the link sets them up again.
   */
  private async command<T>(
    operation: string,
    effect: NatsSseEffect,
    run: (api: NatsSseJetStream, link: NatsSseLink) => Promise<T>,
    onEvents = true,
  ): Promise<T> {
    const link = this.linkFor(operation);
    const api = link.usable(operation, effect);
    try {
      const result = await Promise.race([run(api, link), link.whenLost()]);
      link.refusals.answered();
      return result;
    } catch (error) {
      if (error instanceof TypeError || error instanceof RangeError) throw error;
      if (this.closed) throw new Error(NATS_SSE_MESSAGES.closed(operation), { cause: error });
      if (onEvents && (error as { code?: unknown } | null)?.code === '503') link.suspect();
      throw link.refusals.failure(operation, error, effect);
    }
  }

  private linkFor(operation: string): NatsSseLink {
    if (this.closed) throw new Error(NATS_SSE_MESSAGES.closed(operation));
    if (!this.link) throw new Error(NATS_SSE_MESSAGES.notConnected(operation));
    return this.link;
  }
}
