import type { Logger } from '@nestjs/common';
import { Observable } from 'rxjs';
import type { SseBroker } from '../brokers/sse-broker.interface.js';
import { parseEventId } from '../protocol/event-id.js';
import { SSE_MESSAGES } from '../sse.messages.js';
import type { SseClient } from '../stream/sse-client.interface.js';
import { SseConnection } from '../stream/sse-connection.js';
import type { SseStreamRegistry } from '../stream/sse-stream-registry.js';
import { isThenable } from '../utils/is-thenable.js';
import { authorizeChannels } from './authorize-channels.js';
import type { ChannelIndex } from './channel-index.js';
import type { DeliveryEngine } from './delivery-engine.js';
import type { HubMember } from './hub-member.js';
import { countJoinRefusal } from './join-refusal.js';
import type { PendingSubscriptions } from './pending-subscriptions.js';
import type { SseChannelAuthorizer } from './sse-channel-authorizer.interface.js';
import type { SseJoinOptions } from './sse-hub.interface.js';
import { subscribeMember } from './subscribe-member.js';

/**
 * How the hub joins streams to channels and lets them go: the Observable a
 * join returns (the stream opens once it has joined, authorized, subscribed
 * and read its first page of history), and the leave on unsubscribe (the
 * broker unsubscribes a channel no local stream is in any more). The index
 * and the engine belong to `SseHub`; this is the join and leave of them.
 */
export class HubJoins {
  private closed = false;

  constructor(
    private readonly broker: SseBroker,
    private readonly registry: SseStreamRegistry,
    private readonly index: ChannelIndex<HubMember>,
    private readonly subscribing: PendingSubscriptions,
    private readonly engine: DeliveryEngine,
    private readonly logger: Logger,
  ) {}

  /** The hub is closing: streams that leave no longer unsubscribe (the broker closes). */
  close(): void {
    this.closed = true;
  }

  /**
   * Joins `client` to `channels` (see `SseHub.join()`): each name checked by
   * `assertName`, each channel asked of `authorizer` if there is one.
   */
  join(
    client: SseClient,
    channels: string | readonly string[],
    options: SseJoinOptions,
    assertName: (channel: unknown) => void,
    authorizer: SseChannelAuthorizer | undefined,
  ): Observable<never> {
    if (!(client instanceof SseConnection)) throw new TypeError(SSE_MESSAGES.joinWithoutClient(client));
    const connection = client;
    const names = [...new Set(typeof channels === 'string' ? [channels] : channels)];
    names.forEach(assertName);
    const after = options.after === undefined ? undefined : parseEventId(options.after);
    if (options.after !== undefined && !after) throw new TypeError(SSE_MESSAGES.invalidJoinAfter(options.after));
    return new Observable<never>((subscriber) => {
      let left = false;
      let joined = false;
      const member = this.engine.memberOf(connection);
      this.engine.beginJoin(member, after);
      let gate: Promise<void> | undefined;
      try {
        const joining = this.joinChannels(
          member,
          names,
          authorizer,
          () => left,
          () => (joined = true),
        );
        if (isThenable(joining)) {
          gate = Promise.resolve(joining).then(
            () => this.engine.endJoin(member),
            (error: unknown) => {
              void this.engine.endJoin(member);
              throw error;
            },
          );
        } else {
          gate = this.engine.endJoin(member);
        }
      } catch (error) {
        void this.engine.endJoin(member);
        subscriber.error(error);
        return;
      }
      if (gate) {
        // Always observed: a join that fails once the stream is open (or ending) errors the handler's stream.
        gate.catch((error: unknown) => {
          countJoinRefusal(this.registry, connection, error);
          subscriber.error(error);
        });
        if (!connection.isOpen && !connection.closed) connection.deferOpenUntil(gate);
      }
      return () => {
        left = true;
        if (joined) this.leave(member, names);
      };
    });
  }

  /**
   * Authorizes, then subscribes, in that order. Synchronous as long as every
   * step is (the in-memory broker without an async authorizer): returns a
   * promise only once a step is asynchronous.
   */
  private joinChannels(
    member: HubMember,
    channels: string[],
    authorizer: SseChannelAuthorizer | undefined,
    hasLeft: () => boolean,
    joined: () => void,
  ): Promise<void> | void {
    const subscribeAll = (): Promise<void> | void => {
      if (hasLeft() || member.connection.closed) return;
      joined();
      // Stamped once this instance receives the channels' events: a read issued before cannot stand for it.
      return subscribeMember(this.broker, this.index, this.subscribing, member, channels, () => {
        this.engine.joined(member);
        this.registry.joined(member.connection, channels);
      });
    };
    const authorized = authorizer && authorizeChannels(authorizer, member.connection, channels);
    return authorized ? authorized.then(subscribeAll) : subscribeAll();
  }

  private leave(member: HubMember, channels: string[]): void {
    for (const channel of channels) {
      if (this.index.remove(member, channel) && !this.closed) this.unsubscribe(channel);
    }
  }

  private unsubscribe(channel: string): void {
    Promise.resolve()
      // A stream may have joined the channel again in the meantime (leave and rejoin in one turn).
      .then(() => (this.index.hasChannel(channel) ? undefined : this.broker.unsubscribe(channel)))
      .catch((error: unknown) => this.logger.warn(SSE_MESSAGES.unsubscribeFailed(channel, error)));
  }
}
