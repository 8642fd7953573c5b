import {
  ForbiddenException,
  Inject,
  Injectable,
  Logger,
  Optional,
  type OnApplicationShutdown,
  type OnModuleInit,
} from '@nestjs/common';
import { map, merge, Observable, Subject } from 'rxjs';
import { SSE_CHANNEL_AUTHORIZER, SSE_HUB_ADAPTER, SSE_RESOLVED_OPTIONS } from '../sse.constants.js';
import { SSE_MESSAGES } from '../sse.messages.js';
import { SseConnection } from '../connection/sse-connection.js';
import { SseConnectionRegistry } from '../connection/sse-connection-registry.js';
import type { SseClient } from '../interfaces/sse-client.interface.js';
import type { SseChannelAuthorizer } from '../interfaces/sse-channel-authorizer.interface.js';
import type { SseHubAdapter, SseHubMessage, SseReplay } from '../interfaces/sse-hub-adapter.interface.js';
import type {
  SseConnectionFilter,
  SseExcept,
  SseHubStats,
  SseLifecycleEvent,
  SsePublishOptions,
} from '../interfaces/sse-hub.interface.js';
import type { ResolvedSseModuleOptions } from '../options/resolve-module-options.js';
import { encodeEvent } from '../protocol/encode-event.js';
import { toSseEventInit } from '../protocol/sse-event.js';
import { assertChannelName } from './channel-name.js';
import { parseEventId, type HubEventPosition } from './event-id.js';
import { HubMember, type FramedMessage } from './hub-member.js';

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
  private readonly joinedSubject = new Subject<SseLifecycleEvent>();
  private published = 0;
  private delivered = 0;
  private dropped = 0;
  private closed = false;

  /** Streams connecting, joining channels and disconnecting (with the reason). */
  readonly lifecycle$: Observable<SseLifecycleEvent>;

  constructor(
    private readonly registry: SseConnectionRegistry,
    @Inject(SSE_RESOLVED_OPTIONS) private readonly options: ResolvedSseModuleOptions,
    @Inject(SSE_HUB_ADAPTER) private readonly adapter: SseHubAdapter,
    @Optional() @Inject(SSE_CHANNEL_AUTHORIZER) private readonly authorizer?: SseChannelAuthorizer,
  ) {
    this.lifecycle$ = merge(
      this.registry.changes.pipe(
        map((change): SseLifecycleEvent =>
          change.type === 'opened'
            ? { type: 'connected', client: change.connection }
            : { type: 'disconnected', client: change.connection, reason: change.reason },
        ),
      ),
      this.joinedSubject,
    );
  }

  async onModuleInit(): Promise<void> {
    await this.adapter.connect((message) => this.deliver(message));
  }

  async onApplicationShutdown(): Promise<void> {
    this.closed = true;
    this.joinedSubject.complete();
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
      const joining = this.joinChannels(connection, names, (joined) => (member = joined), () => left);
      if (connection.isOpen) {
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
    return this.send(value, (frame) => ({ type: 'user', userId: String(userId), frame, except: exceptId(options.except) }));
  }

  /**
   * Ends streams: the one with this id (on any instance), or every local one
   * for which `predicate` holds. Resolves to the number of local streams ended.
   */
  async disconnect(target: string | ((client: SseClient) => boolean)): Promise<number> {
    if (typeof target === 'string') {
      const local = this.registry.get(target);
      if (local) {
        local.end('disconnected');
        return 1;
      }
      await this.adapter.send({ type: 'disconnect', connectionId: target });
      return 0;
    }
    let ended = 0;
    for (const connection of [...this.registry.all()]) {
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

  private async joinChannels(
    connection: SseConnection,
    channels: string[],
    joined: (member: HubMember) => void,
    hasLeft: () => boolean,
  ): Promise<void> {
    await this.authorize(connection, channels);
    if (hasLeft() || connection.closed) return;
    const member = this.memberOf(connection);
    joined(member);
    member.startBuffering();
    let flushed = false;
    try {
      const subscriptions: (Promise<void> | void)[] = [];
      for (const channel of channels) subscriptions.push(this.addToChannel(member, channel));
      await Promise.all(subscriptions);
      this.joinedSubject.next({ type: 'joined', client: connection, channels });
      const position = parseEventId(connection.lastEventId);
      const replayed = position ? await this.replay(member, channels, position) : 0;
      flushed = true;
      this.flushBuffer(member, channels, replayed);
    } finally {
      if (!flushed) member.stopBuffering();
    }
  }

  private async authorize(connection: SseConnection, channels: string[]): Promise<void> {
    if (!this.authorizer) return;
    for (const channel of channels) {
      if (!(await this.authorizer.canJoin(connection.user, channel, connection))) {
        throw new ForbiddenException(SSE_MESSAGES.channelForbidden(channel));
      }
    }
  }

  /** Writes the missed events (or a reset event); returns the highest seq the replay covered. */
  private async replay(member: HubMember, channels: string[], after: HubEventPosition): Promise<number> {
    const replay: SseReplay = await this.adapter.replay(channels, after);
    const connection = member.connection;
    if (replay.reset) {
      const data = { reason: replay.reset, lastEventId: connection.lastEventId };
      const id = replay.events.length === 0 ? replay.headId : undefined;
      connection.write(encodeEvent({ event: this.options.resetEventName, id, data }));
    }
    let upTo = replay.reset === 'unknown' ? 0 : after.seq;
    for (const event of replay.events) {
      this.write(member, event.frame);
      upTo = event.seq;
    }
    return upTo;
  }

  /** Delivers what arrived during the replay, skipping what the replay already wrote. */
  private flushBuffer(member: HubMember, channels: string[], replayedUpTo: number): void {
    const buffered = member.stopBuffering();
    for (const message of buffered) {
      if (message.type === 'channel' && message.seq <= replayedUpTo && channels.includes(message.channel)) continue;
      this.write(member, message.frame);
    }
  }

  private memberOf(connection: SseConnection): HubMember {
    let member = this.members.get(connection.id);
    if (!member) {
      member = new HubMember(connection);
      this.members.set(connection.id, member);
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
    if (member.channels.size === 0) this.members.delete(member.connection.id);
  }

  private unsubscribe(channel: string): void {
    Promise.resolve()
      .then(() => this.adapter.unsubscribe(channel))
      .catch((error: unknown) => this.logger.warn(`Could not unsubscribe from channel ${channel}: ${String(error)}`));
  }

  private write(member: HubMember, frame: string, bytes?: number): void {
    if (member.connection.write(frame, bytes)) this.delivered++;
    else this.dropped++;
  }

  private push(member: HubMember, message: FramedMessage, bytes: number): void {
    if (member.buffer) member.buffer.push(message);
    else this.write(member, message.frame, bytes);
  }

  /** Hands a message from the adapter to the local streams it is for. */
  private deliver(message: SseHubMessage): void {
    switch (message.type) {
      case 'channel': {
        const channelMembers = this.channels.get(message.channel);
        if (!channelMembers) return;
        const bytes = Buffer.byteLength(message.frame);
        for (const member of channelMembers) {
          if (member.connection.id !== message.except) this.push(member, message, bytes);
        }
        return;
      }
      case 'broadcast': {
        const bytes = Buffer.byteLength(message.frame);
        for (const connection of this.registry.all()) {
          if (connection.id === message.except) continue;
          const member = this.members.get(connection.id);
          if (member) this.push(member, message, bytes);
          else if (connection.write(message.frame, bytes)) this.delivered++;
          else this.dropped++;
        }
        return;
      }
      case 'connection': {
        const connection = this.registry.get(message.connectionId);
        if (connection) this.deliverTo(connection, message);
        return;
      }
      case 'user': {
        const tabs = this.registry.ofUser(message.userId);
        if (!tabs) return;
        for (const connection of tabs) if (connection.id !== message.except) this.deliverTo(connection, message);
        return;
      }
      case 'disconnect':
        this.registry.get(message.connectionId)?.end('disconnected');
        return;
    }
  }

  private deliverTo(connection: SseConnection, message: FramedMessage): void {
    const member = this.members.get(connection.id);
    if (member) this.push(member, message, Buffer.byteLength(message.frame));
    else if (connection.write(message.frame)) this.delivered++;
    else this.dropped++;
  }
}
