import { Logger } from '@nestjs/common';
import { randomBytes } from 'node:crypto';
import type { Redis, RedisOptions } from 'ioredis';
import type {
  SseHubAdapter,
  SseHubAdapterHooks,
  SseHubMessage,
  SseReplay,
  SseStoredEvent,
} from '../sse-broker.interface.js';
import type { SseScheduleLock } from '../../schedule/sse-schedule-lock.interface.js';
import { assertChannelName } from '../../protocol/channel-name.js';
import { formatEventId, newEpoch, type HubEventPosition } from '../../protocol/event-id.js';
import type { RedisSseAdapterOptions } from './redis-sse-adapter-options.interface.js';
import { RedisSseKeys } from './redis-sse.keys.js';
import { REDIS_SSE_MESSAGES } from './redis-sse.messages.js';
import { RedisSseScheduleLock } from './redis-sse-schedule.lock.js';
import { RedisSseUnavailableError } from './redis-sse-unavailable.error.js';
import {
  CLUSTER_COUNT_SCRIPT,
  ENSURE_EPOCH_SCRIPT,
  HEARTBEAT_SCRIPT,
  PUBLISH_SCRIPT,
  REPLAY_SCRIPT,
  SYNC_MARKER_SCRIPT,
} from './redis-sse.scripts.js';

type SentMessage = Exclude<SseHubMessage, { type: 'channel' }>;
type ChannelMessage = Extract<SseHubMessage, { type: 'channel' }>;

const EPOCH = /^[a-z0-9]{1,16}$/;
const SEQ = /^(0|[1-9][0-9]{0,15})$/;
const KEY_PREFIX = /^[A-Za-z0-9\-_.:/@{}]{1,100}$/;
// eslint-disable-next-line no-control-regex
const CONTROL_CHARACTERS = /[\u0000-\u001f\u007f]/;
const DAY_MS = 86_400_000;

interface Waiter {
  resolve(): void;
  reject(error: unknown): void;
}

function isString(value: unknown): value is string {
  return typeof value === 'string';
}

function isOptionalString(value: unknown): value is string | undefined {
  return value === undefined || typeof value === 'string';
}

function isExcept(value: unknown): value is string {
  return typeof value === 'string' && value.length <= 200 && !/[\r\n]/.test(value);
}

/** Whether `value` is a message `send()` carries: checked before it is sent and when it arrives. */
function isSentMessage(value: unknown): value is SentMessage {
  const message = value as Record<string, unknown> | null;
  if (typeof message !== 'object' || message === null) return false;
  switch (message.type) {
    case 'broadcast':
      return isString(message.frame) && isOptionalString(message.except);
    case 'connection':
      return isString(message.connectionId) && isString(message.frame);
    case 'user':
      return isString(message.userId) && isString(message.frame) && isOptionalString(message.except);
    case 'disconnect':
      return isString(message.connectionId);
    default:
      return false;
  }
}

function isPosition(value: unknown): value is HubEventPosition {
  const position = value as Partial<HubEventPosition> | null;
  return (
    typeof position === 'object' &&
    position !== null &&
    typeof position.epoch === 'string' &&
    EPOCH.test(position.epoch) &&
    Number.isSafeInteger(position.seq) &&
    (position.seq as number) >= 0
  );
}

function reasonOf(error: unknown): string {
  const { message, name } = (error ?? {}) as { message?: unknown; name?: unknown };
  if (typeof message === 'string' && message !== '') return message;
  return typeof name === 'string' ? name : String(error);
}

function count(option: string, value: number | undefined, fallback: number, min = 0): number {
  if (value === undefined) return fallback;
  if (!Number.isSafeInteger(value) || value < min) {
    throw new Error(REDIS_SSE_MESSAGES.invalidOption(option, value, `an integer >= ${min}`));
  }
  return value;
}

async function loadIoredis(): Promise<typeof Redis> {
  try {
    return (await import('ioredis')).Redis;
  } catch (error) {
    const code = (error as { code?: unknown }).code;
    if ((code === 'ERR_MODULE_NOT_FOUND' || code === 'MODULE_NOT_FOUND') && reasonOf(error).includes('ioredis')) {
      throw new Error(REDIS_SSE_MESSAGES.ioredisMissing());
    }
    throw error;
  }
}

/** ioredis options every connection of the adapter needs, whatever the user passed. */
const SUBSCRIBER_OPTIONS: RedisOptions = {
  lazyConnect: true,
  // The adapter resubscribes itself, so that it knows when the subscriptions are back and can catch up.
  autoResubscribe: false,
  autoResendUnfulfilledCommands: false,
  enableOfflineQueue: false,
  // Fail what was in flight as soon as the connection drops (it is redone after the reconnection).
  maxRetriesPerRequest: 0,
};

/** Reconnect quickly at first, then every 2 s. */
function retryStrategy(times: number): number {
  return Math.min(100 * 2 ** Math.min(times, 5), 2000);
}

/**
 * The hub adapter for several instances of an app: ids, history and delivery
 * shared through Redis (with ioredis).
 *
 * ```ts
 * import { RedisSseAdapter } from 'nestjs-event-stream/redis';
 *
 * SseModule.forRoot({ adapter: new RedisSseAdapter({ url: process.env.SSE_REDIS_URL, keyPrefix: 'sse:' }) })
 * ```
 *
 * - Every event gets its id from one Redis sequence per namespace (the key
 *   prefix) and is stored, trimmed and published by one Lua script, so every
 *   instance receives the events of a channel exactly once, in id order.
 * - History lives in Redis (a stream per channel): a client can resume on any
 *   instance, and after a restart of the app.
 * - One command connection and one subscriber connection per instance,
 *   whatever the number of streams. Channels are subscribed by exact name.
 * - While Redis is away, nothing crashes: publishing rejects at once with
 *   `RedisSseUnavailableError` (a 503), local streams stay open, and once it
 *   is back the adapter resubscribes and has the hub replay what its streams
 *   missed.
 * - `lock` makes scheduled broadcasts run once per tick across instances;
 *   `clusterCount()` counts streams across instances (eventually consistent).
 */
export class RedisSseAdapter implements SseHubAdapter {
  /** The schedule lock: one instance of the namespace runs each tick of a scheduled broadcast. */
  readonly lock: SseScheduleLock;
  /** This instance's id in the namespace (for statistics and locks). */
  readonly instanceId = randomBytes(8).toString('hex');

  private readonly logger = new Logger('RedisSseAdapter');
  private readonly keys: RedisSseKeys;
  private readonly instanceChannel: string;
  private readonly maxEvents: number;
  private readonly maxAgeMs: number;
  private readonly idleTtlMs: number;
  private readonly clockResolutionMs: number;
  private readonly commandTimeoutMs: number;
  private readonly connectTimeoutMs: number;
  private readonly statsIntervalMs: number;

  private command?: Redis;
  private subscriber?: Redis;
  private deliver?: (message: SseHubMessage) => void;
  private hooks: SseHubAdapterHooks = {};
  private readonly detach: (() => void)[] = [];
  /** The channels this instance has streams in: subscribed on every (re)connection. */
  private readonly channels = new Set<string>();
  /** The current subscriber connection has subscribed to every channel. */
  private subscribed = false;
  /** The subscriber has been ready once: the next ready is a reconnection. */
  private synced = false;
  private syncRun = 0;
  /** Messages received while a (re)connection is being set up, delivered once it is. */
  private held: [string, string][] | undefined;
  /** A reconnection's catch-up, waiting for the command connection to be ready. */
  private pendingCatchUp: (() => void) | undefined;
  /** Every event of the subscribed channels up to here has been received. */
  private position: HubEventPosition | undefined;
  /** Joins waiting for the subscriber to be back. */
  private readonly waiters = new Set<Waiter>();
  private readonly upWaiters: (() => void)[] = [];
  private linkDown = false;
  private lastError: string | undefined;
  private markerQueued = false;
  private heartbeatFailing = false;
  private statsTimer?: NodeJS.Timeout;
  private closed = false;

  constructor(private readonly options: RedisSseAdapterOptions = {}) {
    if (options.url !== undefined && options.client !== undefined) throw new Error(REDIS_SSE_MESSAGES.urlAndClient());
    if (options.url !== undefined && typeof options.url !== 'string') {
      throw new Error(REDIS_SSE_MESSAGES.invalidOption('url', options.url, 'a redis:// or rediss:// URL'));
    }
    if (options.client !== undefined && typeof (options.client as Partial<Redis> | null)?.duplicate !== 'function') {
      throw new Error(REDIS_SSE_MESSAGES.invalidOption('client', options.client, 'an ioredis client (new Redis(...))'));
    }
    const prefix = options.keyPrefix ?? 'sse:';
    if (typeof prefix !== 'string' || !KEY_PREFIX.test(prefix)) {
      throw new Error(
        REDIS_SSE_MESSAGES.invalidOption('keyPrefix', prefix, '1 to 100 characters of [A-Za-z0-9-_.:/@{}]'),
      );
    }
    const history = options.history ?? {};
    this.maxEvents = count('history.maxEvents', history.maxEvents, 1000);
    this.maxAgeMs = count('history.maxAgeMs', history.maxAgeMs, 0);
    this.idleTtlMs = count('history.idleTtlMs', history.idleTtlMs, this.maxAgeMs > 0 ? this.maxAgeMs : DAY_MS, 1);
    this.clockResolutionMs = Math.max(1, Math.floor(this.idleTtlMs / 64));
    this.commandTimeoutMs = count('commandTimeoutMs', options.commandTimeoutMs, 5000, 1);
    this.connectTimeoutMs = count('connectTimeoutMs', options.connectTimeoutMs, 10_000, 0);
    this.statsIntervalMs = count('statsIntervalMs', options.statsIntervalMs, 5000);
    this.keys = new RedisSseKeys(prefix);
    this.instanceChannel = this.keys.instance(this.instanceId);
    this.lock = new RedisSseScheduleLock(this);
  }

  /** The namespace: the prefix of every key and Pub/Sub channel of this adapter. */
  get keyPrefix(): string {
    return this.keys.prefix;
  }

  /**
   * Opens the connections and subscribes. Resolves once Redis is ready, or
   * after `connectTimeoutMs` without it (the adapter keeps connecting in the
   * background): an unreachable Redis does not stop the app from starting.
   */
  async connect(deliver: (message: SseHubMessage) => void, hooks: SseHubAdapterHooks = {}): Promise<void> {
    if (this.closed) throw new Error(REDIS_SSE_MESSAGES.closed('connect'));
    if (this.deliver) throw new Error(REDIS_SSE_MESSAGES.alreadyConnected());
    this.deliver = deliver;
    this.hooks = hooks;
    const { command, subscriber } = await this.openConnections();
    this.command = command;
    this.subscriber = subscriber;
    this.listen(command, 'command');
    this.listen(subscriber, 'subscriber');
    const onMessage = (channel: string, payload: string) => this.onMessage(channel, payload);
    subscriber.on('message', onMessage);
    if (this.closed) return;
    if (command.status === 'wait') command.connect().catch(() => undefined);
    subscriber.connect().catch(() => undefined);
    const up = await this.waitUntilUp(this.connectTimeoutMs);
    if (this.closed) return;
    if (!up) this.logger.warn(REDIS_SSE_MESSAGES.startedWithoutRedis(this.target(), this.connectTimeoutMs));
    this.startHeartbeat();
  }

  /**
   * Stores the event and delivers it to every instance, in one atomic script.
   * Rejects with `RedisSseUnavailableError` at once while Redis is
   * unreachable (nothing is queued), and after `commandTimeoutMs` when it does
   * not answer.
   */
  async publish(channel: string, body: string, except?: string): Promise<string> {
    assertChannelName(channel);
    if (except !== undefined && !isExcept(except)) throw new TypeError(REDIS_SSE_MESSAGES.invalidExcept(except));
    if (typeof body !== 'string') throw new TypeError(REDIS_SSE_MESSAGES.invalidMessage(body));
    const operation = `publish to channel ${JSON.stringify(channel)}`;
    const command = this.commandFor(operation);
    const keys = this.keys;
    try {
      const id = await PUBLISH_SCRIPT.run(
        command,
        [keys.seq, keys.epoch, keys.history(channel), keys.trimmed(channel), keys.clock],
        [
          newEpoch(),
          body,
          except ?? '',
          keys.channel(channel),
          this.maxEvents,
          this.maxAgeMs,
          this.idleTtlMs,
          this.clockResolutionMs,
        ],
      );
      return String(id);
    } catch (error) {
      throw this.failure(operation, error);
    }
  }

  /** Delivers a broadcast, targeted send or disconnect to every instance (not stored). Rejects like `publish()`. */
  async send(message: SentMessage): Promise<void> {
    if (!isSentMessage(message)) throw new TypeError(REDIS_SSE_MESSAGES.invalidMessage(message));
    const operation = `send a ${message.type} message`;
    const command = this.commandFor(operation);
    try {
      await command.publish(this.keys.control, JSON.stringify(message));
    } catch (error) {
      throw this.failure(operation, error);
    }
  }

  /**
   * SUBSCRIBEs to the channel's exact Pub/Sub name and resolves once Redis
   * has confirmed it (the hub replays history only after that, which is what
   * makes replay gap-free). While Redis is away it waits for the
   * resubscription, at most `commandTimeoutMs`.
   */
  async subscribe(channel: string): Promise<void> {
    assertChannelName(channel);
    const operation = `join channel ${JSON.stringify(channel)}`;
    if (this.closed) throw new Error(REDIS_SSE_MESSAGES.closed(operation));
    const subscriber = this.subscriber;
    if (!subscriber) throw new Error(REDIS_SSE_MESSAGES.notConnected(operation));
    this.channels.add(channel);
    if (this.subscribed) {
      try {
        await subscriber.subscribe(this.keys.channel(channel));
        this.queueSyncMarker();
        return;
      } catch (error) {
        if (this.closed) throw new Error(REDIS_SSE_MESSAGES.closed(operation));
        this.lastError = reasonOf(error);
        // The connection dropped: the resubscription after it comes back includes this channel.
      }
    }
    await this.nextSync(operation);
  }

  /**
   * UNSUBSCRIBEs from the channel's Pub/Sub name. Never rejects for a lost
   * connection: the resubscription after it leaves the channel out.
   */
  async unsubscribe(channel: string): Promise<void> {
    assertChannelName(channel);
    this.channels.delete(channel);
    const subscriber = this.subscriber;
    if (this.closed || !subscriber || subscriber.status !== 'ready') return;
    try {
      await subscriber.unsubscribe(this.keys.channel(channel));
    } catch {
      // The connection dropped: the resubscription leaves this channel out.
    }
  }

  /**
   * The events of `channels` after `after`, from Redis, in seq order, read in
   * one atomic script. `reset: 'expired'` when some may be missing (trimmed
   * by count or age, or the channel's history expired while idle),
   * `'unknown'` for a position of another epoch or ahead of the newest event.
   */
  async replay(channels: readonly string[], after: { epoch: string; seq: number }): Promise<SseReplay> {
    const names = [...new Set(channels)];
    names.forEach(assertChannelName);
    if (!isPosition(after)) throw new TypeError(REDIS_SSE_MESSAGES.invalidPosition(after));
    const operation = 'replay history';
    const command = this.commandFor(operation);
    const keys = [this.keys.epoch, this.keys.seq, this.keys.clock];
    for (const channel of names) keys.push(this.keys.history(channel), this.keys.trimmed(channel));
    let reply: unknown[];
    try {
      reply = (await REPLAY_SCRIPT.run(command, keys, [after.seq, this.idleTtlMs, after.epoch])) as unknown[];
    } catch (error) {
      throw this.failure(operation, error);
    }
    return this.readReplay(names, after, reply);
  }

  /**
   * Takes the lock `name` for `ttlMs` unless another holder has it
   * (`SET <prefix>lock:<name> NX PX`): resolves to whether this instance got it.
   * Rejects with `RedisSseUnavailableError` while Redis is unreachable.
   */
  async acquireLock(name: string, ttlMs: number): Promise<boolean> {
    if (typeof name !== 'string' || name.length < 1 || name.length > 512 || CONTROL_CHARACTERS.test(name)) {
      throw new TypeError(REDIS_SSE_MESSAGES.invalidLockName(name));
    }
    if (!Number.isSafeInteger(ttlMs) || ttlMs < 1) throw new TypeError(REDIS_SSE_MESSAGES.invalidLockTtl(ttlMs));
    const operation = `take the lock ${JSON.stringify(name)}`;
    const command = this.commandFor(operation);
    try {
      return (await command.set(this.keys.lock(name), this.instanceId, 'PX', ttlMs, 'NX')) === 'OK';
    } catch (error) {
      throw this.failure(operation, error);
    }
  }

  /**
   * Open streams across every live instance of the namespace: joined to
   * `channel`, or all of them. Eventually consistent: each instance writes its
   * counts every `statsIntervalMs`, and an instance that stopped writing
   * drops out after three intervals.
   */
  async clusterCount(channel?: string): Promise<number> {
    if (channel !== undefined) assertChannelName(channel);
    const operation = 'count streams across instances';
    const command = this.commandFor(operation);
    const hashPrefix = `${command.options.keyPrefix ?? ''}${this.keys.instancePrefix}`;
    try {
      const [sum] = (await CLUSTER_COUNT_SCRIPT.run(command, [this.keys.instances], [hashPrefix, channel ?? '*'])) as [
        number,
      ];
      return Number(sum);
    } catch (error) {
      throw this.failure(operation, error);
    }
  }

  /** Ends the connections it opened (never a `client` it was given) and its timers. */
  async close(): Promise<void> {
    if (this.closed) return;
    this.closed = true;
    if (this.statsTimer) clearInterval(this.statsTimer);
    for (const waiter of this.waiters) waiter.reject(new Error(REDIS_SSE_MESSAGES.closed('join a channel')));
    this.waiters.clear();
    this.upWaiters.splice(0).forEach((resolve) => resolve());
    const command = this.command;
    const subscriber = this.subscriber;
    if (command?.status === 'ready' && this.statsTimer) {
      await this.withTimeout(
        command.multi().del(this.keys.instance(this.instanceId)).zrem(this.keys.instances, this.instanceId).exec(),
      ).catch(() => undefined);
    }
    await Promise.all([this.end(subscriber), this.options.client ? undefined : this.end(command)]);
    this.detach.splice(0).forEach((detach) => detach());
    this.deliver = undefined;
    this.hooks = {};
  }

  private async openConnections(): Promise<{ command: Redis; subscriber: Redis }> {
    const client = this.options.client;
    if (client) return { command: client, subscriber: client.duplicate(SUBSCRIBER_OPTIONS) };
    const Redis = await loadIoredis();
    const base: RedisOptions = { retryStrategy, ...this.options.redisOptions };
    const commandOptions: RedisOptions = {
      ...base,
      ...SUBSCRIBER_OPTIONS,
      // A publish while Redis is away rejects at once instead of waiting in a queue.
      commandTimeout: this.commandTimeoutMs,
    };
    const open = (options: RedisOptions) =>
      this.options.url ? new Redis(this.options.url, options) : new Redis(options);
    return { command: open(commandOptions), subscriber: open({ ...base, ...SUBSCRIBER_OPTIONS }) };
  }

  private listen(client: Redis, role: 'command' | 'subscriber'): void {
    const onError = (error: Error) => {
      this.lastError = reasonOf(error);
    };
    const onClose = () => this.onClose(role);
    const onReady = () => this.onReady(role);
    client.on('error', onError);
    client.on('close', onClose);
    client.on('ready', onReady);
    this.detach.push(() => {
      client.off('error', onError);
      client.off('close', onClose);
      client.off('ready', onReady);
    });
  }

  private onClose(role: 'command' | 'subscriber'): void {
    if (this.closed) return;
    if (role === 'subscriber') {
      this.subscribed = false;
      this.held = undefined;
    }
    if (!this.linkDown) {
      this.linkDown = true;
      this.logger.error(REDIS_SSE_MESSAGES.linkLost(this.target(), this.lastError ?? 'the connection closed'));
    }
  }

  private onReady(role: 'command' | 'subscriber'): void {
    if (this.closed) return;
    if (role === 'subscriber') {
      void this.sync();
      return;
    }
    this.pendingCatchUp?.();
    this.checkUp();
  }

  /**
   * Sets up a (re)connected subscriber: makes sure the namespace has an epoch,
   * subscribes to every channel, then (on a reconnection) has the hub catch up
   * from the position reached before the connection dropped, and only then
   * delivers what arrived meanwhile.
   */
  private async sync(): Promise<void> {
    const subscriber = this.subscriber!;
    const run = ++this.syncRun;
    this.held = [];
    let epoch: string;
    let head: number;
    try {
      const [epochText, headText] = (await ENSURE_EPOCH_SCRIPT.run(
        subscriber,
        [this.keys.epoch, this.keys.seq],
        [newEpoch()],
      )) as [string, string];
      epoch = String(epochText);
      head = Number(headText);
      const done = new Set<string>();
      let missing = [...this.channels];
      await subscriber.subscribe(this.keys.control, this.instanceChannel, ...missing.map((c) => this.keys.channel(c)));
      for (;;) {
        missing.forEach((channel) => done.add(channel));
        missing = [...this.channels].filter((channel) => !done.has(channel));
        if (missing.length === 0) break;
        await subscriber.subscribe(...missing.map((channel) => this.keys.channel(channel)));
      }
    } catch (error) {
      // The connection dropped again (the next 'ready' starts over) or Redis refused.
      this.lastError = reasonOf(error);
      if (run === this.syncRun) this.held = undefined;
      if (!this.closed && subscriber.status === 'ready')
        this.logger.error(REDIS_SSE_MESSAGES.subscribeFailed(this.target(), this.lastError));
      return;
    }
    if (this.closed || run !== this.syncRun || subscriber.status !== 'ready') return;
    if (this.synced && this.command?.status !== 'ready') {
      // The catch-up replays history through the command connection: until it
      // is back too, live messages stay held, so that nothing slips between
      // the replay and what follows it.
      this.pendingCatchUp = () => this.completeSync(run, epoch, head);
      return;
    }
    this.completeSync(run, epoch, head);
  }

  /** Ends a (re)subscription: catches the hub up (on a reconnection), then delivers what was held. */
  private completeSync(run: number, epoch: string, head: number): void {
    this.pendingCatchUp = undefined;
    if (this.closed || run !== this.syncRun || this.subscriber?.status !== 'ready') return;
    const held = this.held ?? [];
    this.held = undefined;
    this.subscribed = true;
    if (!this.synced) {
      this.synced = true;
      this.position = { epoch, seq: head };
    } else {
      // Same epoch: resume from what was received. Redis lost its data (new epoch): everything of the new one.
      const previous = this.position;
      const after = previous && previous.epoch === epoch ? previous : { epoch, seq: 0 };
      this.position = after;
      try {
        this.hooks.resync?.(after);
      } catch (error) {
        this.logger.error(REDIS_SSE_MESSAGES.resyncFailed(reasonOf(error)));
      }
    }
    for (const [channel, payload] of held) this.dispatch(channel, payload);
    for (const waiter of this.waiters) waiter.resolve();
    this.waiters.clear();
    this.queueSyncMarker();
    this.checkUp();
  }

  /** Both connections are ready: resolves those waiting for it, and says so if the link had been down. */
  private checkUp(): void {
    if (!this.subscribed || this.command?.status !== 'ready') return;
    this.upWaiters.splice(0).forEach((resolve) => resolve());
    if (this.linkDown) {
      this.linkDown = false;
      this.lastError = undefined;
      this.logger.log(REDIS_SSE_MESSAGES.linkRestored(this.target()));
      void this.heartbeat();
    }
  }

  private waitUntilUp(timeoutMs: number): Promise<boolean> {
    if (this.subscribed && this.command?.status === 'ready') return Promise.resolve(true);
    return new Promise((resolve) => {
      const timer = setTimeout(() => resolve(false), timeoutMs);
      this.upWaiters.push(() => {
        clearTimeout(timer);
        resolve(!this.closed);
      });
    });
  }

  /** Resolves at the next completed (re)subscription; rejects after `commandTimeoutMs`. */
  private nextSync(operation: string): Promise<void> {
    return new Promise((resolve, reject) => {
      const waiter: Waiter = {
        resolve: () => {
          clearTimeout(timer);
          resolve();
        },
        reject: (error) => {
          clearTimeout(timer);
          reject(error);
        },
      };
      const timer = setTimeout(() => {
        this.waiters.delete(waiter);
        reject(this.unavailable(operation, this.lastError ?? `no answer within ${this.commandTimeoutMs} ms`));
      }, this.commandTimeoutMs);
      this.waiters.add(waiter);
    });
  }

  private onMessage(pubsubChannel: string, payload: string): void {
    if (this.closed) return;
    if (this.held) this.held.push([pubsubChannel, payload]);
    else this.dispatch(pubsubChannel, payload);
  }

  private dispatch(pubsubChannel: string, payload: string): void {
    let message: SseHubMessage | undefined;
    if (pubsubChannel === this.keys.control) {
      message = this.parseSent(payload);
    } else if (pubsubChannel === this.instanceChannel) {
      const dot = payload.indexOf('.');
      const epoch = payload.slice(0, dot);
      const seq = payload.slice(dot + 1);
      if (dot > 0 && EPOCH.test(epoch) && SEQ.test(seq)) this.advance(epoch, Number(seq));
      else this.logger.warn(REDIS_SSE_MESSAGES.malformedMessage(pubsubChannel));
      return;
    } else {
      const channel = this.keys.channelOf(pubsubChannel);
      if (channel === undefined) return;
      message = this.parseChannelMessage(channel, payload);
      if (message) this.advance(message.id.slice(0, message.id.indexOf('.')), message.seq);
    }
    if (!message) {
      this.logger.warn(REDIS_SSE_MESSAGES.malformedMessage(pubsubChannel));
      return;
    }
    try {
      this.deliver?.(message);
    } catch (error) {
      // Never into ioredis's parser.
      this.logger.error(reasonOf(error), (error as Error)?.stack);
    }
  }

  /** `<seq>\n<epoch>\n<except>\n<frame>`, as the publish script writes it. */
  private parseChannelMessage(channel: string, payload: string): ChannelMessage | undefined {
    const first = payload.indexOf('\n');
    const second = payload.indexOf('\n', first + 1);
    const third = payload.indexOf('\n', second + 1);
    if (first < 0 || second < 0 || third < 0) return undefined;
    const seqText = payload.slice(0, first);
    const epoch = payload.slice(first + 1, second);
    const except = payload.slice(second + 1, third);
    if (!SEQ.test(seqText) || !EPOCH.test(epoch)) return undefined;
    const seq = Number(seqText);
    const message: ChannelMessage = {
      type: 'channel',
      channel,
      seq,
      id: formatEventId(epoch, seq),
      frame: payload.slice(third + 1),
    };
    if (except !== '') message.except = except;
    return message;
  }

  private parseSent(payload: string): SentMessage | undefined {
    try {
      const message: unknown = JSON.parse(payload);
      return isSentMessage(message) ? message : undefined;
    } catch {
      return undefined;
    }
  }

  private advance(epoch: string, seq: number): void {
    const position = this.position;
    if (!position || position.epoch !== epoch || seq > position.seq) this.position = { epoch, seq };
  }

  /**
   * After a new subscription, asks Redis to publish the current position to
   * this instance: once it arrives, every event up to it of the subscribed
   * channels has been received. It keeps the catch-up after a reconnection
   * from replaying events published before a stream joined.
   */
  private queueSyncMarker(): void {
    if (this.markerQueued) return;
    this.markerQueued = true;
    setImmediate(() => {
      this.markerQueued = false;
      const command = this.command;
      if (this.closed || command?.status !== 'ready') return;
      SYNC_MARKER_SCRIPT.run(command, [this.keys.epoch, this.keys.seq], [this.instanceChannel]).catch(() => undefined);
    });
  }

  private readReplay(channels: string[], after: HubEventPosition, reply: unknown[]): SseReplay {
    const epoch = String(reply[0]);
    const head = Number(reply[1]);
    const now = Number(reply[2]);
    const headId = epoch !== '' && head > 0 ? formatEventId(epoch, head) : undefined;
    if (epoch !== after.epoch || after.seq > head) return { events: [], reset: 'unknown', headId };
    // An expired history held only seqs below the watermark (no sample: possibly anything up to the head).
    const watermark = reply[3] === '' || reply[3] === null ? head + 1 : Number(reply[3]);
    let expired = false;
    const events: SseStoredEvent[] = [];
    channels.forEach((channel, i) => {
      const exists = Number(reply[4 + 3 * i]) === 1;
      const trimmed = Number(reply[5 + 3 * i]);
      const entries = (reply[6 + 3 * i] ?? []) as [string, string[]][];
      if (!exists) {
        if (this.maxEvents === 0 ? after.seq < head : after.seq + 1 < watermark) expired = true;
        return;
      }
      if (trimmed > after.seq) expired = true;
      for (const [entryId, fields] of entries) {
        const seq = Number(String(entryId).slice(0, String(entryId).indexOf('-')));
        const values = new Map<string, string>();
        for (let f = 0; f + 1 < fields.length; f += 2) values.set(String(fields[f]), String(fields[f + 1]));
        if (this.maxAgeMs > 0 && now - Number(values.get('t')) > this.maxAgeMs) {
          expired = true;
          continue;
        }
        events.push({ channel, seq, id: formatEventId(epoch, seq), frame: values.get('f') ?? '' });
      }
    });
    if (channels.length > 1) events.sort((a, b) => a.seq - b.seq);
    return expired ? { events, reset: 'expired', headId } : { events, headId };
  }

  private startHeartbeat(): void {
    if (this.statsIntervalMs === 0 || !this.hooks.localCounts || this.closed) return;
    this.statsTimer = setInterval(() => void this.heartbeat(), this.statsIntervalMs);
    this.statsTimer.unref();
    void this.heartbeat();
  }

  /** Writes this instance's stream counts, with a TTL of three intervals. Never rejects. */
  private async heartbeat(): Promise<void> {
    const command = this.command;
    const localCounts = this.hooks.localCounts;
    if (this.closed || !this.statsTimer || !localCounts || command?.status !== 'ready') return;
    try {
      const counts = localCounts();
      const args: (string | number)[] = [this.instanceId, 3 * this.statsIntervalMs, '*', counts.connections];
      for (const [channel, streams] of counts.channels) args.push(channel, streams);
      await HEARTBEAT_SCRIPT.run(command, [this.keys.instance(this.instanceId), this.keys.instances], args);
      this.heartbeatFailing = false;
    } catch (error) {
      if (!this.heartbeatFailing && !this.linkDown && !this.closed) {
        this.logger.warn(REDIS_SSE_MESSAGES.heartbeatFailed(reasonOf(error)));
      }
      this.heartbeatFailing = true;
    }
  }

  /** The command connection, if it can take a command now; otherwise the error to reject with. */
  private commandFor(operation: string): Redis {
    if (this.closed) throw new Error(REDIS_SSE_MESSAGES.closed(operation));
    const command = this.command;
    if (!command) throw new Error(REDIS_SSE_MESSAGES.notConnected(operation));
    if (command.status !== 'ready') {
      throw this.unavailable(operation, this.lastError ?? `the connection is ${command.status}`);
    }
    return command;
  }

  private failure(operation: string, error: unknown): Error {
    if ((error as Error)?.name === 'ReplyError') {
      return new Error(
        `nestjs-event-stream: RedisSseAdapter could not ${operation}: Redis answered ${reasonOf(error)}`,
        {
          cause: error,
        },
      );
    }
    return this.unavailable(operation, reasonOf(error), error);
  }

  private unavailable(operation: string, reason: string, cause?: unknown): RedisSseUnavailableError {
    return new RedisSseUnavailableError(REDIS_SSE_MESSAGES.unavailable(operation, this.target(), reason), cause);
  }

  private withTimeout<T>(promise: Promise<T>): Promise<T> {
    let timer: NodeJS.Timeout | undefined;
    const timeout = new Promise<never>((_, reject) => {
      timer = setTimeout(() => reject(new Error('timeout')), this.commandTimeoutMs);
    });
    return Promise.race([promise, timeout]).finally(() => clearTimeout(timer));
  }

  private async end(client: Redis | undefined): Promise<void> {
    if (!client || client.status === 'end') return;
    if (client.status === 'ready') {
      try {
        await this.withTimeout(client.quit());
        return;
      } catch {
        // Fall through to a hard disconnect.
      }
    }
    client.disconnect();
  }

  /** host:port of the Redis server, for messages (never the password). */
  private target(): string {
    const options = (this.command ?? this.options.client)?.options;
    if (!options) return this.options.url ? this.options.url.replace(/\/\/[^@/]*@/, '//') : '127.0.0.1:6379';
    if (options.path) return options.path;
    return `${options.host ?? '127.0.0.1'}:${options.port ?? 6379}${options.db ? `/${options.db}` : ''}`;
  }
}
