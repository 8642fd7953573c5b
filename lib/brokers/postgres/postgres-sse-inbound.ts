import type { Logger } from '@nestjs/common';
import type { SseBrokerMessage, SseBrokerPosition, SseBrokerSentMessage } from '../sse-broker.interface.js';
import { advance, decodeNotification, parseSentMessage, type SpilledEvent } from './postgres-sse.codec.js';
import { reasonOf } from './postgres-sse-failure.js';
import { POSTGRES_SSE_MESSAGES } from './postgres-sse.messages.js';
import { PostgresSseWaiters } from './postgres-sse-waiters.js';

/** Notifications waiting for their turn at most: past it, channel events are let go of (a `gap` covers them). */
export const MAX_QUEUED = 10_000;
/** Spilled payloads read back in one query at most. */
const SPILL_BATCH = 100;

type ChannelMessage = Extract<SseBrokerMessage, { type: 'channel' }>;

/** One notification (or a point of the link's history) in the order it arrived. */
type Item =
  | { readonly type: 'deliver'; readonly message: ChannelMessage | SseBrokerSentMessage }
  /** A marker, or an event of a channel not subscribed: only moves the position. */
  | { readonly type: 'advance'; readonly position: SseBrokerPosition }
  | { readonly type: 'spilled'; readonly spill: string; readonly event?: SpilledEvent; body?: string; lost?: string }
  /** Where the link (re)started listening: waits for the namespace's head, read right after LISTEN. */
  | { readonly type: 'sync'; head?: SseBrokerPosition }
  /** Channel events were let go of here: the hub reads them from history. */
  | { readonly type: 'gap' };

/** What the inbound needs from the broker. */
export interface PostgresSseInboundEvents {
  /** A message for `messages$`, in order. */
  deliver(message: SseBrokerMessage): void;
  /** A (re)sync has been delivered (on a reconnection, its `gap` first): the link is up. */
  synced(): void;
  /** Reads spilled payloads back, by id (those it has no row of are gone). */
  readSpill(ids: readonly string[]): Promise<Map<string, string>>;
}

/**
 * What the LISTEN connection receives, delivered in the order it arrived:
 * a notification whose payload was spilled (too large for a NOTIFY) holds
 * those behind it until it is read back; the start of a (re)sync holds what
 * follows until the namespace's head is known, then delivers the `gap` of a
 * reconnection before it. Owns the channels this instance subscribed to (the
 * events of others only move the position) and the position every event up
 * to which has been delivered, which `head()` waits for.
 */
export class PostgresSseInbound {
  private readonly queue: Item[] = [];
  private readonly channels = new Set<string>();
  private position: SseBrokerPosition | undefined;
  private reading = false;
  private overflowed = false;
  private closed = false;
  private readonly waiters = new PostgresSseWaiters();

  constructor(
    private readonly events: PostgresSseInboundEvents,
    private readonly logger: Logger,
  ) {}

  /** Every event of the subscribed channels up to here has been delivered (or is covered by a `gap` delivered). */
  get received(): SseBrokerPosition | undefined {
    return this.position;
  }

  subscribe(channel: string): void {
    this.channels.add(channel);
  }

  unsubscribe(channel: string): void {
    this.channels.delete(channel);
  }

  /** A notification of the namespace's channel (`marker`: of this instance's). */
  push(payload: string, marker: boolean, pgChannel: string): void {
    if (this.closed) return;
    const decoded = decodeNotification(payload, marker);
    switch (decoded.kind) {
      case 'malformed':
        this.logger.warn(POSTGRES_SSE_MESSAGES.malformedNotification(pgChannel));
        return;
      case 'marker':
        return this.enqueue({ type: 'advance', position: decoded.position });
      case 'event': {
        const { message } = decoded;
        if (this.channels.has(message.channel)) return this.enqueue({ type: 'deliver', message });
        return this.enqueue({ type: 'advance', position: { epoch: message.epoch, seq: message.seq } });
      }
      case 'spilled-event': {
        const { event } = decoded;
        if (this.channels.has(event.channel)) return this.enqueue({ type: 'spilled', spill: event.spill, event });
        return this.enqueue({ type: 'advance', position: { epoch: event.epoch, seq: event.seq } });
      }
      case 'sent':
        return this.enqueue({ type: 'deliver', message: decoded.message });
      case 'spilled-sent':
        return this.enqueue({ type: 'spilled', spill: decoded.spill });
    }
  }

  /**
   * The link is about to LISTEN (again): what arrives from now on waits for
   * `synced()`. A sync begun on a connection that dropped before it was
   * done is reused (what arrived on it waits too).
   */
  beginSync(): void {
    const pending = this.queue.some((item) => item.type === 'sync' && item.head === undefined);
    if (!pending) this.queue.push({ type: 'sync' });
  }

  /** The namespace's head, read after LISTEN: the pending sync can be delivered. */
  completeSync(head: SseBrokerPosition): void {
    for (const item of this.queue) if (item.type === 'sync' && item.head === undefined) item.head = head;
    this.pump();
  }

  /** Resolves once every event up to `position` has been delivered; rejects with `timedOut()` after `timeoutMs`. */
  waitFor(position: SseBrokerPosition, timeoutMs: number, timedOut: () => unknown): Promise<void> {
    if (this.reached(position)) return Promise.resolve();
    return this.waiters.wait(position, timeoutMs, timedOut);
  }

  /** Drops what waits (nothing is delivered after `close()`) and rejects the waits with `error`. */
  close(error: unknown): void {
    this.closed = true;
    this.queue.length = 0;
    this.waiters.rejectAll(error);
  }

  private reached(position: SseBrokerPosition): boolean {
    const received = this.position;
    return received !== undefined && received.epoch === position.epoch && received.seq >= position.seq;
  }

  private enqueue(item: Item): void {
    if (this.queue.length >= MAX_QUEUED) {
      this.overflow(item);
      return;
    }
    this.overflowed = false;
    this.queue.push(item);
    this.pump();
  }

  /** The queue is full: channel events become one `gap`, other messages are dropped (said once per overflow). */
  private overflow(item: Item): void {
    const event = item.type === 'deliver' ? item.message.type === 'channel' : item.type === 'spilled' && !!item.event;
    if (event) {
      if (this.queue[this.queue.length - 1]?.type !== 'gap') this.queue.push({ type: 'gap' });
      return;
    }
    if (item.type === 'advance') return;
    if (!this.overflowed) this.logger.warn(POSTGRES_SSE_MESSAGES.queueOverflow(MAX_QUEUED));
    this.overflowed = true;
  }

  /** Delivers from the front while it can; starts reading spilled payloads back when one is in the way. */
  private pump(): void {
    while (this.queue.length > 0 && !this.closed) {
      const item = this.queue[0];
      if (item.type === 'sync' && item.head === undefined) return;
      if (item.type === 'spilled' && item.body === undefined && item.lost === undefined) {
        void this.readSpilled();
        return;
      }
      this.queue.shift();
      this.handle(item);
    }
  }

  private handle(item: Item): void {
    switch (item.type) {
      case 'deliver':
        if (item.message.type === 'channel') this.moveTo(item.message);
        this.events.deliver(item.message);
        break;
      case 'advance':
        this.moveTo(item.position);
        break;
      case 'spilled':
        this.handleSpilled(item);
        break;
      case 'gap':
        if (this.position) this.events.deliver({ type: 'gap', after: this.position });
        break;
      case 'sync':
        this.handleSync(item.head as SseBrokerPosition);
        break;
    }
  }

  private handleSpilled(item: Extract<Item, { type: 'spilled' }>): void {
    const { event, body } = item;
    if (body === undefined) {
      this.logger.warn(POSTGRES_SSE_MESSAGES.spillLost(item.lost ?? ''));
      // The event is in history (unless trimmed already): the hub reads it from there.
      if (event && this.position) this.events.deliver({ type: 'gap', after: this.position });
      if (event) this.moveTo(event);
      return;
    }
    if (event) {
      const { channel, epoch, seq, except } = event;
      const message: ChannelMessage = { type: 'channel', channel, epoch, seq, payload: body };
      this.moveTo(event);
      this.events.deliver(except === undefined ? message : { ...message, except });
      return;
    }
    const message = parseSentMessage(body);
    if (message) this.events.deliver(message);
    else this.logger.warn(POSTGRES_SSE_MESSAGES.malformedNotification('sse_spill'));
  }

  /** First sync: the position starts at the head. Later ones: the `gap` from what was delivered (all of a new epoch). */
  private handleSync(head: SseBrokerPosition): void {
    const previous = this.position;
    if (!previous) {
      this.position = head;
    } else {
      const after = previous.epoch === head.epoch ? previous : { epoch: head.epoch, seq: 0 };
      this.position = after;
      this.events.deliver({ type: 'gap', after });
    }
    this.advanced();
    this.events.synced();
  }

  private moveTo(position: SseBrokerPosition): void {
    this.position = advance(this.position, { epoch: position.epoch, seq: position.seq });
    this.advanced();
  }

  private advanced(): void {
    const position = this.position;
    if (position) this.waiters.reached(position);
  }

  /** Reads back the spilled payloads waiting (a batch), then delivers on. One read at a time. */
  private async readSpilled(): Promise<void> {
    if (this.reading) return;
    this.reading = true;
    const batch: Extract<Item, { type: 'spilled' }>[] = [];
    for (const item of this.queue) {
      if (item.type !== 'spilled' || item.body !== undefined || item.lost !== undefined) continue;
      batch.push(item);
      if (batch.length === SPILL_BATCH) break;
    }
    try {
      const bodies = await this.events.readSpill(batch.map((item) => item.spill));
      for (const item of batch) {
        const body = bodies.get(item.spill);
        if (body === undefined) item.lost = 'it was deleted already';
        else item.body = body;
      }
    } catch (error) {
      for (const item of batch) item.lost = reasonOf(error);
    } finally {
      this.reading = false;
    }
    this.pump();
  }
}
