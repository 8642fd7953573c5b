import type { Logger } from '@nestjs/common';
import type { SseBrokerMessage, SseBrokerPosition, SseBrokerSentMessage } from '../sse-broker.interface.js';
import { advance, decodeNotification, parseSentMessage, type SpilledEvent } from './postgres-sse.codec.js';
import { reasonOf } from './postgres-sse-failure.js';
import { POSTGRES_SSE_MESSAGES } from './postgres-sse.messages.js';
import { PostgresSseWaiters } from './postgres-sse-waiters.js';

/** Spilled payloads read back in one query at most. */
const SPILL_BATCH = 100;

/** How much may wait for its turn (behind a payload read back, or a sync): see `PostgresSseInbound`. */
export interface PostgresSseInboundLimits {
  /** Notifications waiting at most (default 10000). */
  readonly maxItems?: number;
  /** Their text at most, in UTF-16 code units (default 16 Mi; bodies read back count once read). */
  readonly maxBytes?: number;
  /** Revokes and disconnects taken past the bounds (default 1000): only past these are they dropped, logged. */
  readonly controlAllowance?: number;
}

const DEFAULT_LIMITS: Required<PostgresSseInboundLimits> = {
  maxItems: 10_000,
  maxBytes: 16 * 1024 * 1024,
  controlAllowance: 1000,
};

type ChannelMessage = Extract<SseBrokerMessage, { type: 'channel' }>;

/** One notification (or a point of the link's history) in the order it arrived. */
type Item = (
  | { readonly type: 'deliver'; readonly message: ChannelMessage | SseBrokerSentMessage }
  /** A marker, or an event of a channel not subscribed: only moves the position (consecutive ones merge). */
  | { readonly type: 'advance'; position: SseBrokerPosition }
  | { readonly type: 'spilled'; readonly spill: string; readonly event?: SpilledEvent; body?: string; lost?: string }
  /** Where the link (re)started listening: waits for the namespace's head, read right after LISTEN. */
  | { readonly type: 'sync'; head?: SseBrokerPosition }
  /** Channel events (and markers) were let go of here, up to `upTo`: the hub reads them from history. */
  | { readonly type: 'gap'; upTo?: SseBrokerPosition }
) & {
  /** Its share of `maxBytes`. */
  size: number;
};

/** The position an item moves to, if it is of an event or a marker. */
function positionOf(item: Item): SseBrokerPosition | undefined {
  if (item.type === 'advance') return item.position;
  if (item.type === 'deliver' && item.message.type === 'channel') return item.message;
  if (item.type === 'spilled') return item.event;
  return undefined;
}

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
 *
 * What waits is bounded (`PostgresSseInboundLimits`): past the bounds, channel
 * events become one `gap` (the hub reads them from history), markers and the
 * events of other channels merge into the position that gap (or the last
 * such item) moves to, revokes and disconnects are still taken within an
 * allowance of their own, and broadcasts and targeted sends are dropped,
 * with one warning per overflow.
 */
export class PostgresSseInbound {
  private readonly queue: Item[] = [];
  /** The `size` of what `queue` holds. */
  private queuedBytes = 0;
  private readonly limits: Required<PostgresSseInboundLimits>;
  private readonly channels = new Set<string>();
  private position: SseBrokerPosition | undefined;
  private reading = false;
  /** What an overflow dropped that was said already (once per overflow: until an item is taken again). */
  private readonly warned = new Set<'sent' | 'control'>();
  private closed = false;
  private readonly waiters = new PostgresSseWaiters();

  constructor(
    private readonly events: PostgresSseInboundEvents,
    private readonly logger: Logger,
    limits: PostgresSseInboundLimits = {},
  ) {
    this.limits = { ...DEFAULT_LIMITS, ...limits };
  }

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
    const size = payload.length;
    switch (decoded.kind) {
      case 'malformed':
        this.logger.warn(POSTGRES_SSE_MESSAGES.malformedNotification(pgChannel));
        return;
      case 'marker':
        return this.enqueue({ type: 'advance', position: decoded.position, size: 0 });
      case 'event': {
        const { message } = decoded;
        if (this.channels.has(message.channel)) return this.enqueue({ type: 'deliver', message, size });
        return this.enqueue({ type: 'advance', position: { epoch: message.epoch, seq: message.seq }, size: 0 });
      }
      case 'spilled-event': {
        const { event } = decoded;
        if (this.channels.has(event.channel)) return this.enqueue({ type: 'spilled', spill: event.spill, event, size });
        return this.enqueue({ type: 'advance', position: { epoch: event.epoch, seq: event.seq }, size: 0 });
      }
      case 'sent':
        return this.enqueue({ type: 'deliver', message: decoded.message, size });
      case 'spilled-sent':
        return this.enqueue({ type: 'spilled', spill: decoded.spill, size });
    }
  }

  /**
   * The link is about to LISTEN (again): what arrives from now on waits for
   * `synced()`. A sync begun on a connection that dropped before it was
   * done is reused (what arrived on it waits too).
   */
  beginSync(): void {
    const pending = this.queue.some((item) => item.type === 'sync' && item.head === undefined);
    if (!pending) this.queue.push({ type: 'sync', size: 0 });
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
    this.queuedBytes = 0;
    this.waiters.rejectAll(error);
  }

  private reached(position: SseBrokerPosition): boolean {
    const received = this.position;
    return received !== undefined && received.epoch === position.epoch && received.seq >= position.seq;
  }

  private enqueue(item: Item): void {
    const { maxItems, maxBytes } = this.limits;
    // Nothing waits unless something holds the front: an item alone is delivered whatever its size.
    const full = this.queue.length >= maxItems || this.queuedBytes + item.size > maxBytes;
    if (this.queue.length > 0 && full) {
      this.overflow(item);
      return;
    }
    this.warned.clear();
    this.add(item);
    this.pump();
  }

  private add(item: Item): void {
    this.queue.push(item);
    this.queuedBytes += item.size;
  }

  /**
   * Past the bounds: a channel event, a marker or the event of another
   * channel moves the position of the `gap` at the tail (made for a channel
   * event), or of the `advance` there; a revoke or a disconnect is taken
   * within the allowance; anything else is dropped (said once per overflow).
   */
  private overflow(item: Item): void {
    const tail = this.queue[this.queue.length - 1];
    const position = positionOf(item);
    if (position && item.type !== 'advance') {
      if (tail?.type === 'gap') tail.upTo = advance(tail.upTo, position);
      else this.queue.push({ type: 'gap', upTo: position, size: 0 });
      return;
    }
    if (position) {
      if (tail?.type === 'gap') tail.upTo = advance(tail.upTo, position);
      else if (tail?.type === 'advance') tail.position = advance(tail.position, position);
      else this.queue.push({ ...item, size: 0 });
      return;
    }
    const control = item.type === 'deliver' && (item.message.type === 'revoke' || item.message.type === 'disconnect');
    if (control && this.queue.length < this.limits.maxItems + this.limits.controlAllowance) {
      this.add(item);
      return;
    }
    const kind = control ? 'control' : 'sent';
    if (!this.warned.has(kind)) this.logger.warn(POSTGRES_SSE_MESSAGES.queueOverflow(this.limits.maxItems, control));
    this.warned.add(kind);
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
      this.queuedBytes -= item.size;
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
        // What was let go of up to there is covered by the gap: head() waits for no marker of it.
        if (item.upTo) this.moveTo(item.upTo);
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

  /**
   * First sync: the position starts at the head. Later ones: the `gap` from
   * what was delivered (all of a new epoch), which covers everything up to
   * the head: the position moves there (a `head()` whose marker went with
   * the old connection resolves).
   */
  private handleSync(head: SseBrokerPosition): void {
    const previous = this.position;
    if (!previous) {
      this.position = head;
    } else {
      const after = previous.epoch === head.epoch ? previous : { epoch: head.epoch, seq: 0 };
      this.events.deliver({ type: 'gap', after });
      this.position = advance(after, head);
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
        else {
          item.body = body;
          item.size += body.length;
          this.queuedBytes += body.length;
        }
      }
    } catch (error) {
      for (const item of batch) item.lost = reasonOf(error);
    } finally {
      this.reading = false;
    }
    this.pump();
  }
}
