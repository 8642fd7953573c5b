import { Inject, Injectable, Logger, Optional, type OnApplicationShutdown, type OnModuleInit } from '@nestjs/common';
import { Observable, type Subscription } from 'rxjs';
import { SSE_BROKER, SSE_CHANNEL_AUTHORIZER, SSE_RESOLVED_OPTIONS } from '../sse.constants.js';
import { SSE_MESSAGES } from '../sse.messages.js';
import { SseStreamRegistry } from '../stream/sse-stream-registry.js';
import type { SseClient } from '../stream/sse-client.interface.js';
import type { SseLifecycleEvent } from '../stream/sse-lifecycle.interface.js';
import type { SseBroker, SseBrokerSentMessage } from '../brokers/sse-broker.interface.js';
import { checkIdempotencyKey } from '../brokers/idempotency-key.js';
import type { ResolvedSseModuleOptions } from '../options/resolve-module-options.js';
import { parseEventId } from '../protocol/event-id.js';
import { assertChannelName } from './sse-channel-name.error.js';
import { assertPublicChannelName } from './reserved-channels.js';
import type { SseChannelAuthorizer } from './sse-channel-authorizer.interface.js';
import type {
  SseConnectionFilter,
  SseHubStats,
  SseJoinOptions,
  SsePublishOptions,
  SseRevocation,
} from './sse-hub.interface.js';
import { ChannelIndex } from './channel-index.js';
import { PendingSubscriptions } from './pending-subscriptions.js';
import { DeliveryEngine } from './delivery-engine.js';
import { HubJoins } from './hub-joins.js';
import { revocationOf } from './revocation.js';
import { publishToBroker } from './publish-to-broker.js';
import { encodeHubEvent, exceptId } from './hub-payload.js';
import type { HubMember } from './hub-member.js';
import { hubStats } from './hub-stats.js';
import type { SseInstrumentation } from '../stream/sse-instrumentation.js';

/**
 * The hub: streams joined to named channels, events published to a channel,
 * to everyone, to one stream or to every stream of a user, and gap-free
 * `Last-Event-ID` replay, on one instance or, through a broker, on many.
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
  private readonly index = new ChannelIndex<HubMember>();
  private readonly subscribing = new PendingSubscriptions();
  private readonly engine: DeliveryEngine;
  private readonly joins: HubJoins;
  private brokerSubscription: Subscription | undefined;

  /** Streams connecting, joining channels and disconnecting (with the reason). */
  readonly lifecycle$: Observable<SseLifecycleEvent>;

  constructor(
    private readonly registry: SseStreamRegistry,
    @Inject(SSE_RESOLVED_OPTIONS) private readonly options: ResolvedSseModuleOptions,
    @Inject(SSE_BROKER) private readonly broker: SseBroker,
    @Optional() @Inject(SSE_CHANNEL_AUTHORIZER) private readonly authorizer?: SseChannelAuthorizer,
  ) {
    this.lifecycle$ = registry.lifecycle$;
    this.engine = new DeliveryEngine(broker, registry, this.index, options.resetEventName);
    this.joins = new HubJoins(broker, registry, this.index, this.subscribing, this.engine, this.logger);
    registry.onRelease((connection) => this.engine.forget(connection));
  }

  async onModuleInit(): Promise<void> {
    this.brokerSubscription = this.broker.messages$.subscribe((message) => this.engine.deliver(message));
    await this.broker.connect({
      localCounts: () => ({ connections: this.registry.openStreams, channels: this.index.counts() }),
    });
  }

  async onApplicationShutdown(): Promise<void> {
    this.joins.close();
    this.engine.close();
    await this.broker.close();
    this.brokerSubscription?.unsubscribe();
  }

  /**
   * Joins a stream to channels and returns the Observable for the handler to
   * return (alone, or merged with its own events). The stream opens only once
   * it has joined: every event published after the client sees the stream open
   * reaches it. With a `Last-Event-ID`, the missed events of its channels are
   * replayed first, in order, without gap or duplicate, paced by what the
   * client reads; when that is not possible, one `sse-reset` event says so.
   * Without one, it starts with an id-only block at the current position (to
   * resume from if dropped before any event). Joins of one stream made
   * together replay together; a later join starts at the stream's position.
   *
   * Channel names are checked (`SseChannelNameError`, a 400: names starting
   * with `run:`, `run-state:` or `sse-runs:` are reserved for `SseRuns`) and,
   * with an `SseChannelAuthorizer`, authorized (403) before the stream opens.
   * With `after` (an event id), a stream without a `Last-Event-ID` of the hub
   * is replayed what its channels have after it, as if it had sent that id.
   */
  join(client: SseClient, channels: string | readonly string[], options: SseJoinOptions = {}): Observable<never> {
    return this.joins.join(client, channels, options, assertPublicChannelName, this.authorizer);
  }

  /**
   * @internal For `SseRuns`: `join()` of the reserved run channels, without
   * the app's `SseChannelAuthorizer` (runs check their owners themselves).
   */
  joinReserved(client: SseClient, channel: string, options: SseJoinOptions = {}): Observable<never> {
    return this.joins.join(client, channel, options, assertChannelName, undefined);
  }

  /**
   * Publishes an event to a channel: stored for replay and delivered to every
   * stream joined to it, on every instance. The hub assigns the id and
   * resolves to it. `value` is an `sseEvent(...)` (without `id`) or the data
   * of a plain message; it is encoded once for all recipients. With an
   * `idempotencyKey` the broker has seen on the channel within its window,
   * nothing is stored or delivered: it resolves to the first publish's id.
   * A reserved channel (`run:`, `run-state:`, `sse-runs:`) is refused like a
   * bad name (`SseChannelNameError`).
   */
  publish(channel: string, value: unknown, options: SsePublishOptions = {}): Promise<string> {
    return this.publishWith(assertPublicChannelName, channel, value, options);
  }

  /** @internal For `SseRuns`: `publish()` to a reserved run channel. */
  publishReserved(channel: string, value: unknown): Promise<string> {
    return this.publishWith(assertChannelName, channel, value, {});
  }

  private publishWith(
    assertName: (channel: unknown) => void,
    channel: string,
    value: unknown,
    options: SsePublishOptions,
  ): Promise<string> {
    try {
      assertName(channel);
      const idempotencyKey = options?.idempotencyKey;
      checkIdempotencyKey('SseHub.publish()', idempotencyKey);
      const given = { except: exceptId(options?.except), idempotencyKey };
      const payload = encodeHubEvent(value, this.options.serializer);
      return publishToBroker(this.broker, this.registry, channel, payload, given);
    } catch (error) {
      return Promise.reject(error);
    }
  }

  /** Sends an event to every open stream, on every instance. Not stored: it has no id and is not replayed. */
  broadcast(value: unknown, options: SsePublishOptions = {}): Promise<void> {
    return this.send(value, (payload) => ({ type: 'broadcast', payload, except: exceptId(options.except) }));
  }

  /** Sends an event to one stream, wherever it is connected. Not stored. */
  sendTo(connectionId: string, value: unknown): Promise<void> {
    return this.send(value, (payload) => ({ type: 'connection', connectionId, payload }));
  }

  /** Sends an event to every stream (every tab) of a user, on every instance. Not stored. */
  sendToUser(userId: string | number, value: unknown, options: SsePublishOptions = {}): Promise<void> {
    return this.send(value, (payload) => ({
      type: 'user',
      userId: String(userId),
      payload,
      except: exceptId(options.except),
    }));
  }

  /**
   * Ends streams: the one with this id (on any instance), or every local one
   * for which `predicate` holds, with the final word `disconnected` (a
   * browser reconnects: to keep a client out, use `revoke()` and refuse its
   * credential). Resolves to the number of local streams ended.
   */
  async disconnect(target: string | ((client: SseClient) => boolean)): Promise<number> {
    if (typeof target === 'string') {
      const local = this.registry.get(target);
      if (local) {
        local.finish('disconnected');
        return 1;
      }
      await this.broker.send({ type: 'disconnect', connectionId: target });
      return 0;
    }
    let ended = 0;
    for (const connection of [...this.registry.live()]) {
      if (target(connection)) {
        connection.finish('disconnected');
        ended++;
      }
    }
    return ended;
  }

  /**
   * Ends every stream of a user, or of a session (see `sessionIdOf`), on
   * every instance, with the final word `revoked`: "sign out everywhere".
   * This instance's streams end at once; the promise resolves once the
   * broker has taken the message (each other instance ends its streams as
   * it arrives) and rejects when it cannot: retry it, repeating is harmless.
   * A browser's `EventSource` reconnects after any end, so the app's
   * verifier must refuse the revoked credential from now on (keep revoked
   * session ids until the tokens would have expired): see docs/lifecycle.md.
   *
   * @example
   * \@Post('sign-out-everywhere')
   * async signOut(\@Req() request: { user: { id: string } }) {
   *   await this.sessions.revokeAll(request.user.id); // what the verifier checks
   *   await this.hub.revoke({ userId: request.user.id });
   * }
   */
  revoke(target: SseRevocation): Promise<void> {
    try {
      const message = revocationOf(target);
      // This instance's streams end now, even if the broker cannot carry the message (it rejects then).
      this.registry.revoke(message.target, message.id);
      return Promise.resolve(this.broker.send(message));
    } catch (error) {
      return Promise.reject(error);
    }
  }

  /**
   * Resolves to true once `client`'s stream is past the event `id` (written
   * it or a later one, or replayed to the newest with it gone from history),
   * to false once it never will be (closed, joined nothing, another history).
   * "Replayed to the newest" trusts the `head` of the broker's last history
   * page to be no newer than the events that page returned: a broker that
   * reads its head apart from its events (NATS can see a newer head while a
   * publish is in flight) may make it resolve a little early.
   */
  whenDelivered(client: SseClient, id: string): Promise<boolean> {
    const position = parseEventId(id);
    if (!position) return Promise.reject(new TypeError(SSE_MESSAGES.invalidJoinAfter(id)));
    const member = this.engine.find(client.id);
    return member && member.connection === client ? member.whenPast(position) : Promise.resolve(false);
  }

  /** The open streams of this instance, optionally filtered. */
  connections(filter?: SseConnectionFilter): SseClient[] {
    const open = [...this.registry.open()];
    if (!filter) return open;
    if (typeof filter === 'function') return open.filter(filter);
    return open.filter((connection) => {
      if (filter.userId !== undefined && connection.userId !== String(filter.userId)) return false;
      if (filter.channel === undefined) return true;
      const member = this.engine.find(connection.id);
      return member !== undefined && this.index.has(member, filter.channel);
    });
  }

  /** Open streams of this instance: all of them, or those joined to `channel`. */
  count(channel?: string): number {
    return channel === undefined ? this.registry.openStreams : this.index.count(channel);
  }

  /**
   * Counters of this instance since it started: streams open (by route),
   * opened, closed (by reason) and refused (by status), channels, events
   * published, frames delivered and dropped, bytes written, slow clients cut
   * off, replays, timers, and the broker's state. What metrics exporters read.
   */
  stats(): SseHubStats {
    return hubStats(this.registry, this.index.channels, this.broker);
  }

  /**
   * For metrics exporters: registers an observer told what `stats()` cannot
   * say (each stream's duration as it closes, each publish's latency).
   * Returns the function that removes it. With none registered: no cost.
   */
  instrument(observer: SseInstrumentation): () => void {
    return this.registry.instruments.add(observer);
  }

  private send(value: unknown, message: (payload: string) => SseBrokerSentMessage): Promise<void> {
    try {
      return Promise.resolve(this.broker.send(message(encodeHubEvent(value, this.options.serializer))));
    } catch (error) {
      return Promise.reject(error);
    }
  }
}
