import {
  ForbiddenException,
  Inject,
  Injectable,
  Logger,
  Optional,
  type OnApplicationShutdown,
  type OnModuleInit,
} from '@nestjs/common';
import { Observable, Subject } from 'rxjs';
import { SSE_CHANNEL_AUTHORIZER, SSE_HUB_ADAPTER, SSE_RESOLVED_OPTIONS } from '../sse.constants.js';
import { SSE_MESSAGES } from '../sse.messages.js';
import { SseConnection, type SseChunk } from '../stream/sse-connection.js';
import { SseConnectionRegistry, type SseConnectionChange } from '../stream/sse-stream-registry.js';
import type { SseClient } from '../stream/sse-client.interface.js';
import type { SseChannelAuthorizer } from './sse-channel-authorizer.interface.js';
import type { SseHubAdapter, SseHubMessage, SseReplay } from '../brokers/sse-broker.interface.js';
import type {
  SseConnectionFilter,
  SseExcept,
  SseHubStats,
  SseLifecycleEvent,
  SsePublishOptions,
} from './sse-hub.interface.js';
import type {
  SseBroadcastProducer,
  SseHubScheduler,
  SseScheduleOptions,
  SseScheduleTrigger,
} from '../schedule/sse-schedule.interface.js';
import type { ResolvedSseModuleOptions } from '../options/resolve-module-options.js';
import { encodeEvent } from '../protocol/encode-event.js';
import { toSseEventInit } from '../protocol/sse-event.js';
import { assertChannelName } from '../protocol/channel-name.js';
import { parseEventId, type HubEventPosition } from '../protocol/event-id.js';
import { HubMember, type FramedMessage } from './hub-member.js';

function isThenable<T>(value: T | PromiseLike<T> | undefined | void): value is PromiseLike<T> {
  return typeof (value as PromiseLike<T> | null | undefined)?.then === 'function';
}

/** `next(value)`, right away for a plain value, after it settles for a promise. */
function andThen<T, R>(value: T | PromiseLike<T>, next: (value: T) => R): R | Promise<Awaited<R>> {
  return isThenable(value) ? (Promise.resolve(value).then(next) as Promise<Awaited<R>>) : next(value);
}

function exceptId(except: SseExcept | undefined): string | undefined {
  return typeof except === 'string' ? except : except?.id;
}

/**
 * The hub: streams joined to named channels, events published to a channel,
 * to everyone, to one stream or to every stream of a user, and gap-free
 * `Last-Event-ID` replay.
 *
 * @example
 * \@EventStream(':room/events')
 * events(\@Param('room') room: string, \@SseClient() client: SseClient) {
 *   return this.hub.join(client, [`room:${room}`, 'announcements']);
 * }
 *
 * \@Post(':room/messages')
 * async post(\@Param('room') room: string, \@Body() body: MessageDto) {
 *   return { id: await this.hub.publish(`room:${room}`, sseEvent({ event: 'message', data: body })) };
 * }
 */
@Injectable()
export class SseHub implements OnModuleInit, OnApplicationShutdown {
  private readonly logger = new Logger('SseHub');
  private readonly channels = new Map<string, Set<HubMember>>();
  private readonly members = new Map<string, HubMember>();
  /** Members whose stream has joined but not opened yet: broadcasts and targeted sends reach them too. */
  private readonly opening = new Set<HubMember>();
  private readonly lifecycle = new Subject<SseLifecycleEvent>();
  private published = 0;
  private delivered = 0;
  private dropped = 0;
  private closed = false;
  private scheduler?: SseHubScheduler;

  /** Streams connecting, joining channels and disconnecting (with the reason). */
  readonly lifecycle$: Observable<SseLifecycleEvent>;

  constructor(
    private readonly registry: SseConnectionRegistry,
    @Inject(SSE_RESOLVED_OPTIONS) private readonly options: ResolvedSseModuleOptions,
    @Inject(SSE_HUB_ADAPTER) private readonly adapter: SseHubAdapter,
    @Optional() @Inject(SSE_CHANNEL_AUTHORIZER) private readonly authorizer?: SseChannelAuthorizer,
  ) {
    this.lifecycle$ = this.lifecycle.asObservable();
    this.registry.changes.subscribe((change) => this.connectionChanged(change));
  }

  async onModuleInit(): Promise<void> {
    await this.adapter.connect((message) => this.deliver(message), {
      resync: (after) => this.resync(after),
      localCounts: () => ({
        connections: this.registry.size,
        channels: new Map([...this.channels].map(([channel, members]) => [channel, members.size])),
      }),
    });
  }

  async onApplicationShutdown(): Promise<void> {
    this.closed = true;
    this.lifecycle.complete();
    await this.adapter.close();
  }

  /**
   * Joins a stream to channels and returns the Observable for the handler to
   * return (alone, or merged with its own events). The stream opens only once
   * it has joined: every event published after the client sees the stream open
   * reaches it. With a `Last-Event-ID`, the missed events of these channels are
   * replayed first, in order, without gap or duplicate; when that is not
   * possible, one `sse-reset` event says so.
   *
   * Channel names are checked (`SseChannelNameError`, a 400) and, with an
   * `SseChannelAuthorizer`, authorized (403) before the stream opens.
   */
  join(client: SseClient, channels: string | readonly string[]): Observable<never> {
    if (!(client instanceof SseConnection)) throw new TypeError(SSE_MESSAGES.joinWithoutClient(client));
    const connection = client;
    const names = [...new Set(typeof channels === 'string' ? [channels] : channels)];
    names.forEach(assertChannelName);
    return new Observable<never>((subscriber) => {
      let member: HubMember | undefined;
      let left = false;
      let joining: Promise<void> | void;
      try {
        joining = this.joinChannels(
          connection,
          names,
          (joined) => (member = joined),
          () => left,
        );
      } catch (error) {
        subscriber.error(error);
        return;
      }
      if (!joining) {
        // Joined synchronously (no async authorizer, subscribe or replay): the stream may open at once.
      } else if (connection.isOpen) {
        joining.catch((error: unknown) => subscriber.error(error));
      } else {
        connection.deferOpenUntil(joining);
      }
      return () => {
        left = true;
        if (member) this.leave(member, names);
      };
    });
  }

  /**
   * Publishes an event to a channel: stored for replay and delivered to every
   * stream joined to it, on every instance. The hub assigns the id and
   * resolves to it. `value` is an `sseEvent(...)` (without `id`) or the data
   * of a plain message; it is encoded once for all recipients.
   */
  publish(channel: string, value: unknown, options: SsePublishOptions = {}): Promise<string> {
    try {
      assertChannelName(channel);
      const body = this.encode(value);
      this.published++;
      return Promise.resolve(this.adapter.publish(channel, body, exceptId(options.except)));
    } catch (error) {
      return Promise.reject(error);
    }
  }

  /** Sends an event to every open stream, on every instance. Not stored: it has no id and is not replayed. */
  broadcast(value: unknown, options: SsePublishOptions = {}): Promise<void> {
    return this.send(value, (frame) => ({ type: 'broadcast', frame, except: exceptId(options.except) }));
  }

  /** Sends an event to one stream, wherever it is connected. Not stored. */
  sendTo(connectionId: string, value: unknown): Promise<void> {
    return this.send(value, (frame) => ({ type: 'connection', connectionId, frame }));
  }

  /** Sends an event to every stream (every tab) of a user, on every instance. Not stored. */
  sendToUser(userId: string | number, value: unknown, options: SsePublishOptions = {}): Promise<void> {
    return this.send(value, (frame) => ({
      type: 'user',
      userId: String(userId),
      frame,
      except: exceptId(options.except),
    }));
  }

  /**
   * Ends streams: the one with this id (on any instance), or every local one
   * for which `predicate` holds. Resolves to the number of local streams ended.
   */
  async disconnect(target: string | ((client: SseClient) => boolean)): Promise<number> {
    if (typeof target === 'string') {
      const local = this.localConnection(target);
      if (local) {
        local.end('disconnected');
        return 1;
      }
      await this.adapter.send({ type: 'disconnect', connectionId: target });
      return 0;
    }
    let ended = 0;
    const local = [...this.registry.all(), ...[...this.opening].map((member) => member.connection)];
    for (const connection of local) {
      if (target(connection)) {
        connection.end('disconnected');
        ended++;
      }
    }
    return ended;
  }

  /** The open streams of this instance, optionally filtered. */
  connections(filter?: SseConnectionFilter): SseClient[] {
    const all = [...this.registry.all()];
    if (!filter) return all;
    if (typeof filter === 'function') return all.filter(filter);
    return all.filter(
      (connection) =>
        (filter.channel === undefined || this.members.get(connection.id)?.channels.has(filter.channel) === true) &&
        (filter.userId === undefined || connection.userId === String(filter.userId)),
    );
  }

  /** Open streams of this instance: all of them, or those joined to `channel`. */
  count(channel?: string): number {
    return channel === undefined ? this.registry.size : (this.channels.get(channel)?.size ?? 0);
  }

  /**
   * Publishes what `producer` returns to `options.channel` on a schedule: every
   * `every` ms or on a `cron` expression. Needs `@nestjs/schedule` (with
   * `ScheduleModule.forRoot()` imported): the job is registered in its
   * `SchedulerRegistry` under `name`, where it can be listed, stopped and
   * deleted. It starts when the app has bootstrapped (at once if it already
   * has) and stops when the app begins to shut down. `producer` returns a
   * value, an `sseEvent(...)`, a Promise or an Observable of them;
   * `undefined` publishes nothing. By default (`skipWhenIdle`) it is not
   * called while no stream of this instance has joined the channel; a run
   * still in progress makes the next tick skip; a failure is logged with the
   * job's name and the job keeps running.
   *
   * @example
   * this.hub.schedule('clock', { every: 1000 }, () => ({ now: new Date() }), { channel: 'clock' });
   */
  schedule(
    name: string,
    trigger: SseScheduleTrigger,
    producer: SseBroadcastProducer,
    options: SseScheduleOptions,
  ): void {
    this.requireScheduler().schedule(name, trigger, producer, options);
  }

  /** Stops and removes a job of `schedule()`; returns whether it was still scheduled (not already deleted through `SchedulerRegistry`). */
  unschedule(name: string): boolean {
    return this.requireScheduler().unschedule(name);
  }

  /** @internal The module's `SseScheduler` attaches itself when it is created. */
  attachScheduler(scheduler: SseHubScheduler): void {
    this.scheduler = scheduler;
  }

  /** Counters of this instance: open streams, channels with local members, events published, frames delivered and dropped, slow clients cut off. */
  stats(): SseHubStats {
    return {
      connections: this.registry.size,
      channels: this.channels.size,
      eventsPublished: this.published,
      delivered: this.delivered,
      dropped: this.dropped,
      slowClientDisconnects: this.registry.slowClientDisconnects,
    };
  }

  private requireScheduler(): SseHubScheduler {
    if (!this.scheduler) throw new Error(SSE_MESSAGES.schedulerMissing());
    return this.scheduler;
  }

  private encode(value: unknown): string {
    const event = toSseEventInit(value);
    if (event.id !== undefined) throw new TypeError(SSE_MESSAGES.hubAssignsIds());
    return encodeEvent(event, this.options.serializer);
  }

  private send(value: unknown, message: (frame: string) => Exclude<SseHubMessage, { type: 'channel' }>): Promise<void> {
    try {
      return Promise.resolve(this.adapter.send(message(this.encode(value))));
    } catch (error) {
      return Promise.reject(error);
    }
  }

  /**
   * Authorizes, subscribes and replays, in that order, then delivers what was
   * buffered meanwhile. Synchronous as long as every step is (the in-memory
   * adapter without an async authorizer or a replay): returns a promise only
   * once a step is asynchronous.
   */
  private joinChannels(
    connection: SseConnection,
    channels: string[],
    joined: (member: HubMember) => void,
    hasLeft: () => boolean,
  ): Promise<void> | void {
    return andThen(this.authorize(connection, channels), () => {
      if (hasLeft() || connection.closed) return;
      const member = this.memberOf(connection);
      joined(member);
      member.startBuffering();
      let flushed = false;
      const finish = (replayedUpTo: number) => {
        flushed = true;
        this.flushBuffer(member, channels, replayedUpTo);
      };
      try {
        let subscriptions: PromiseLike<void>[] | undefined;
        for (const channel of channels) {
          const subscribed = this.addToChannel(member, channel);
          if (isThenable(subscribed)) (subscriptions ??= []).push(subscribed);
        }
        const result = andThen(subscriptions && Promise.all(subscriptions), () => {
          this.announceJoin(member, channels);
          const position = parseEventId(connection.lastEventId);
          if (!position) return finish(0);
          return andThen(this.adapter.replay(channels, position), (replay) =>
            finish(this.writeReplay(member, replay, position)),
          );
        });
        if (!isThenable(result)) return;
        return Promise.resolve(result).finally(() => {
          if (!flushed) member.stopBuffering();
        });
      } catch (error) {
        if (!flushed) member.stopBuffering();
        throw error;
      }
    });
  }

  private authorize(connection: SseConnection, channels: string[]): Promise<void> | void {
    if (this.authorizer) return this.authorizeEach(this.authorizer, connection, channels);
  }

  private async authorizeEach(
    authorizer: SseChannelAuthorizer,
    connection: SseConnection,
    channels: string[],
  ): Promise<void> {
    for (const channel of channels) {
      if (!(await authorizer.canJoin(connection.user, channel, connection))) {
        throw new ForbiddenException(SSE_MESSAGES.channelForbidden(channel));
      }
    }
  }

  /** Writes the missed events (or a reset event); returns the highest seq the replay covered. */
  private writeReplay(member: HubMember, replay: SseReplay, after: HubEventPosition): number {
    const connection = member.connection;
    if (replay.reset) {
      const data = { reason: replay.reset, lastEventId: connection.lastEventId };
      const id = replay.events.length === 0 ? replay.headId : undefined;
      connection.write(encodeEvent({ event: this.options.resetEventName, id, data }));
    }
    let upTo = replay.reset === 'unknown' ? 0 : after.seq;
    for (const event of replay.events) {
      this.write(member, event.frame);
      member.lastEventId = event.id;
      upTo = event.seq;
    }
    return upTo;
  }

  /**
   * The adapter lost messages (its connection to a broker dropped) and is
   * back: each stream gets the events of its channels after `after` (or after
   * the last one written to it, if newer), then what arrived meanwhile,
   * without duplicates. Streams still joining catch up through their own join.
   */
  private resync(after: HubEventPosition): void {
    if (this.closed) return;
    const groups = new Map<string, { channels: string[]; from: HubEventPosition; members: HubMember[] }>();
    for (const member of this.members.values()) {
      if (member.buffer || member.connection.closed || member.channels.size === 0) continue;
      const last = parseEventId(member.lastEventId);
      const from = last && last.epoch === after.epoch && last.seq > after.seq ? last : after;
      const channels = [...member.channels.keys()].sort();
      const key = `${from.epoch}.${from.seq} ${channels.join(' ')}`;
      let group = groups.get(key);
      if (!group) groups.set(key, (group = { channels, from, members: [] }));
      group.members.push(member);
    }
    for (const group of groups.values()) void this.resyncGroup(group.channels, group.from, group.members);
  }

  /** One replay for the streams with the same channels and position. Never rejects. */
  private async resyncGroup(channels: string[], from: HubEventPosition, members: HubMember[]): Promise<void> {
    for (const member of members) member.startBuffering();
    let replay: SseReplay | undefined;
    try {
      replay = await this.adapter.replay(channels, from);
    } catch (error) {
      this.logger.warn(
        `Could not catch ${members.length} stream(s) up after the adapter reconnected: ${String(error)}`,
      );
    }
    for (const member of members) {
      const upTo = replay && !member.connection.closed ? this.writeReplay(member, replay, from) : from.seq;
      this.flushBuffer(member, channels, upTo);
    }
  }

  /** Delivers what arrived during the replay, skipping what the replay already wrote. */
  private flushBuffer(member: HubMember, channels: string[], replayedUpTo: number): void {
    for (const message of member.stopBuffering(channels, replayedUpTo)) {
      this.write(member, message.frame);
      if (message.type === 'channel') member.lastEventId = message.id;
    }
  }

  private memberOf(connection: SseConnection): HubMember {
    let member = this.members.get(connection.id);
    if (!member) {
      member = new HubMember(connection);
      this.members.set(connection.id, member);
      if (!connection.isOpen && !connection.closed) this.opening.add(member);
    }
    return member;
  }

  private addToChannel(member: HubMember, channel: string): Promise<void> | void {
    member.channels.set(channel, (member.channels.get(channel) ?? 0) + 1);
    let channelMembers = this.channels.get(channel);
    if (channelMembers) {
      channelMembers.add(member);
      return;
    }
    channelMembers = new Set([member]);
    this.channels.set(channel, channelMembers);
    return this.adapter.subscribe(channel);
  }

  private leave(member: HubMember, channels: string[]): void {
    for (const channel of channels) {
      const joins = member.channels.get(channel);
      if (joins === undefined) continue;
      if (joins > 1) {
        member.channels.set(channel, joins - 1);
        continue;
      }
      member.channels.delete(channel);
      const channelMembers = this.channels.get(channel);
      if (!channelMembers?.delete(member) || channelMembers.size > 0) continue;
      this.channels.delete(channel);
      if (!this.closed) this.unsubscribe(channel);
    }
    if (member.channels.size === 0) {
      this.members.delete(member.connection.id);
      this.opening.delete(member);
    }
  }

  private unsubscribe(channel: string): void {
    Promise.resolve()
      // A stream may have joined the channel again in the meantime (leave and rejoin in one turn).
      .then(() => (this.channels.has(channel) ? undefined : this.adapter.unsubscribe(channel)))
      .catch((error: unknown) => this.logger.warn(`Could not unsubscribe from channel ${channel}: ${String(error)}`));
  }

  private write(member: HubMember, frame: SseChunk): void {
    if (member.connection.write(frame)) this.delivered++;
    else this.dropped++;
  }

  /** Writes a message to a member, or buffers it while the member replays; `chunk` is its frame encoded once for all. */
  private push(member: HubMember, message: FramedMessage, chunk: SseChunk): void {
    if (member.buffer) {
      member.buffer.push(message);
      return;
    }
    this.write(member, chunk);
    if (message.type === 'channel') member.lastEventId = message.id;
  }

  /** Hands a message from the adapter to the local streams it is for. */
  private deliver(message: SseHubMessage): void {
    switch (message.type) {
      case 'channel': {
        const channelMembers = this.channels.get(message.channel);
        if (!channelMembers) return;
        const chunk = Buffer.from(message.frame);
        for (const member of channelMembers) {
          if (member.connection.id !== message.except) this.push(member, message, chunk);
        }
        return;
      }
      case 'broadcast': {
        const chunk = Buffer.from(message.frame);
        for (const connection of this.registry.all()) {
          if (connection.id !== message.except) this.deliverTo(connection, message, chunk);
        }
        for (const member of this.opening) {
          if (member.connection.id !== message.except && !member.connection.closed) this.push(member, message, chunk);
        }
        return;
      }
      case 'connection': {
        const connection = this.localConnection(message.connectionId);
        if (connection) this.deliverTo(connection, message);
        return;
      }
      case 'user': {
        const tabs = this.registry.ofUser(message.userId) ?? [];
        for (const connection of tabs) if (connection.id !== message.except) this.deliverTo(connection, message);
        for (const { connection } of this.opening) {
          if (connection.userId !== message.userId || connection.id === message.except) continue;
          this.deliverTo(connection, message);
        }
        return;
      }
      case 'disconnect':
        this.localConnection(message.connectionId)?.end('disconnected');
        return;
    }
  }

  /** The stream of this instance with this id: open, or joined and still opening. */
  private localConnection(connectionId: string): SseConnection | undefined {
    const open = this.registry.get(connectionId);
    if (open) return open;
    const member = this.members.get(connectionId);
    return member && this.opening.has(member) && !member.connection.closed ? member.connection : undefined;
  }

  /**
   * Follows the streams of the app for `lifecycle$`: a stream that joined
   * before it opened is reported as connected first, then joined (and not at
   * all if it never opens).
   */
  private connectionChanged(change: SseConnectionChange): void {
    if (change.type === 'closed') {
      this.lifecycle.next({ type: 'disconnected', client: change.connection, reason: change.reason });
      return;
    }
    this.lifecycle.next({ type: 'connected', client: change.connection });
    const member = this.members.get(change.connection.id);
    if (!member || !this.opening.delete(member)) return;
    const joins = member.joinsBeforeOpen ?? [];
    member.joinsBeforeOpen = undefined;
    for (const channels of joins) this.lifecycle.next({ type: 'joined', client: member.connection, channels });
  }

  private announceJoin(member: HubMember, channels: readonly string[]): void {
    if (this.opening.has(member)) (member.joinsBeforeOpen ??= []).push(channels);
    else this.lifecycle.next({ type: 'joined', client: member.connection, channels });
  }

  private deliverTo(connection: SseConnection, message: FramedMessage, chunk: SseChunk = message.frame): void {
    const member = this.members.get(connection.id);
    if (member) this.push(member, message, chunk);
    else if (connection.write(chunk)) this.delivered++;
    else this.dropped++;
  }
}
