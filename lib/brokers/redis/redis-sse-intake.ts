import type { Logger } from '@nestjs/common';
import type { SseBrokerMessage, SseBrokerPosition } from '../sse-broker.interface.js';
import { advance, decodeMessage } from './redis-sse.codec.js';
import { RedisSseHeldMessages } from './redis-sse-held-messages.js';
import type { RedisSseKeys } from './redis-sse.keys.js';
import { REDIS_SSE_MESSAGES } from './redis-sse.messages.js';

/**
 * What arrives on the subscriber connection, on its way to the broker's
 * `messages$`: decoded, in order, with the position it reached (every event
 * of the subscribed channels up to there has been received). While a
 * (re)subscription is being set up, messages are held (at most
 * `maxHeldMessages`: past it, channel events are let go of, and a `gap`
 * follows); `resume()` ends that with the `gap` a reconnection owes, then
 * what was held.
 */
export class RedisSseIntake {
  /** Every event of the subscribed channels up to here has been received. */
  position: SseBrokerPosition | undefined;
  private held: RedisSseHeldMessages | undefined;
  /** Channel events were let go of since the last `gap`: the next `resume()` reports one, also on the first. */
  private heldDropped = false;

  constructor(
    private readonly keys: RedisSseKeys,
    /** This instance's Pub/Sub channel, for sync markers. */
    private readonly instanceChannel: string,
    private readonly maxHeldMessages: number,
    private readonly logger: Logger,
    private readonly deliver: (message: SseBrokerMessage) => void,
    /** A sync marker moved the position on (heads waiting for it may resolve). */
    private readonly markerReached: () => void,
  ) {}

  /** A (re)subscription starts: hold what arrives until `resume()`. */
  hold(): void {
    this.held = new RedisSseHeldMessages(this.maxHeldMessages, (channel) => channel !== this.keys.control);
  }

  /** What was held is of a connection that is gone (or a set-up that failed): the gap of the next sync covers it. */
  drop(): void {
    this.held = undefined;
  }

  /**
   * A (re)subscription is done, at the namespace's `epoch` and `head` when it
   * began: delivers the `gap` it owes (after a reconnection, from the
   * position reached before, or everything of a new epoch; on a first one,
   * only if channel events were let go of), then what was held.
   */
  resume(epoch: string, head: number, reconnection: boolean): void {
    const held = this.held?.take() ?? [];
    this.held = undefined;
    let gap: SseBrokerPosition | undefined;
    if (!reconnection) {
      this.position = { epoch, seq: head };
      if (this.heldDropped) gap = this.position;
    } else {
      // Same epoch: resume from what was received. Redis lost its data (new epoch): everything of the new one.
      const previous = this.position;
      gap = previous && previous.epoch === epoch ? previous : { epoch, seq: 0 };
      this.position = gap;
    }
    this.heldDropped = false;
    if (gap) this.deliver({ type: 'gap', after: gap });
    for (const [channel, text] of held) this.dispatch(channel, text);
  }

  /** A message off the subscriber connection. */
  receive(pubsubChannel: string, text: string): void {
    const held = this.held;
    if (!held) return this.dispatch(pubsubChannel, text);
    if (!held.push(pubsubChannel, text) && held.droppedOthers === 1) {
      this.logger.warn(REDIS_SSE_MESSAGES.heldOverflow(this.maxHeldMessages));
    }
    if (held.droppedRecoverable) this.heldDropped = true;
  }

  private dispatch(pubsubChannel: string, text: string): void {
    const decoded = decodeMessage(this.keys, this.instanceChannel, pubsubChannel, text);
    if (decoded.kind === 'malformed') this.logger.warn(REDIS_SSE_MESSAGES.malformedMessage(pubsubChannel));
    if (decoded.kind === 'marker') {
      this.position = advance(this.position, decoded.position);
      this.markerReached();
    }
    if (decoded.kind !== 'deliver') return;
    const message = decoded.message;
    if (message.type === 'channel') this.position = advance(this.position, { epoch: message.epoch, seq: message.seq });
    this.deliver(message);
  }
}
