import { Subject, type Observable } from 'rxjs';
import type {
  SseBroker,
  SseBrokerEvent,
  SseBrokerMessage,
  SseBrokerPosition,
  SseBrokerPublishOptions,
  SseBrokerSentMessage,
  SseBrokerStatus,
  SseHistoryPage,
} from '../sse-broker.interface.js';
import { newEpoch } from '../../protocol/event-id.js';
import { checkInteger } from '../../options/check-option.js';
import { mergeHistoryPages } from '../history-page.js';
import { checkIdempotencyKey } from '../idempotency-key.js';
import { ChannelHistory, type ChannelHistoryLimits } from './channel-history.js';
import { IdempotencyWindow } from './idempotency-window.js';
import { DEFAULT_HISTORY_MAX_BYTES, DEFAULT_HISTORY_MAX_CHANNEL_BYTES } from '../../sse.constants.js';

/** Options of the in-memory broker (also `history` in `SseModule.forRoot()`). */
export interface InMemorySseBrokerOptions {
  /** Events kept per channel for replay. Default 1000; 0 keeps none. */
  maxEvents?: number;
  /** Age (ms) past which events are dropped from history; 0 keeps them by count only. Default 0. */
  maxAgeMs?: number;
  /** Channels whose history is kept; past it, the one published to least recently is dropped. Default 10000. */
  maxChannels?: number;
  /** Bytes of history kept in all channels; past it, the oldest event is evicted. Default 64 MiB. */
  maxBytes?: number;
  /** Bytes of history kept per channel; past it, the channel's oldest event is evicted. Default 4 MiB. */
  maxChannelBytes?: number;
  /**
   * How long (ms) a publish's `idempotencyKey` is remembered: a publish with
   * the same key on the same channel within it stores and delivers nothing
   * and resolves to the first one's position. Default 3600000 (1 hour).
   */
  idempotencyTtlMs?: number;
  /** Idempotency keys remembered at most; past it, the oldest is forgotten (its window ends early). Default 10000. */
  maxIdempotencyKeys?: number;
}

/**
 * The default broker: positions, history and delivery within this process.
 * Fast (delivery is a synchronous call), but shares nothing with other
 * instances and forgets its history on restart (a new epoch makes old
 * positions `unknown`).
 */
export class InMemorySseBroker implements SseBroker {
  private readonly epoch = newEpoch();
  private readonly maxEvents: number;
  private readonly maxAgeMs: number;
  private readonly maxChannels: number;
  private readonly maxBytes: number;
  private readonly limits: ChannelHistoryLimits;
  /** Histories by channel, least recently published first (Map keeps insertion order). */
  private readonly histories = new Map<string, ChannelHistory>();
  /** Every event kept, oldest first, by channel: the order in which the byte budget evicts. */
  private order: { channel: string; seq: number }[] = [];
  private orderStart = 0;
  /** Bytes and events of every history together. */
  private bytes = 0;
  private events = 0;
  /** The highest seq of a history dropped as a whole. */
  private droppedChannelsUpTo = 0;
  private seq = 0;
  private readonly idempotency: IdempotencyWindow;
  private readonly createdAt = Date.now();
  private readonly subject = new Subject<SseBrokerMessage>();
  readonly messages$: Observable<SseBrokerMessage> = this.subject.asObservable();

  constructor(options: InMemorySseBrokerOptions = {}) {
    this.maxEvents = checkInteger('InMemorySseBroker maxEvents', options.maxEvents, 0, 1000);
    this.maxAgeMs = checkInteger('InMemorySseBroker maxAgeMs', options.maxAgeMs, 0, 0);
    this.maxChannels = checkInteger('InMemorySseBroker maxChannels', options.maxChannels, 1, 10_000);
    this.maxBytes = checkInteger('InMemorySseBroker maxBytes', options.maxBytes, 1, DEFAULT_HISTORY_MAX_BYTES);
    this.limits = {
      maxEvents: this.maxEvents,
      maxAgeMs: this.maxAgeMs,
      maxBytes: checkInteger(
        'InMemorySseBroker maxChannelBytes',
        options.maxChannelBytes,
        1,
        DEFAULT_HISTORY_MAX_CHANNEL_BYTES,
      ),
    };
    this.idempotency = new IdempotencyWindow(
      checkInteger('InMemorySseBroker idempotencyTtlMs', options.idempotencyTtlMs, 1, 3_600_000),
      checkInteger('InMemorySseBroker maxIdempotencyKeys', options.maxIdempotencyKeys, 1, 10_000),
    );
  }

  /** Bytes of history kept now, in all channels. */
  get historyBytes(): number {
    return this.bytes;
  }

  /** Entries of the eviction queue (bookkeeping, bounded by about twice the events kept). */
  get evictionQueueLength(): number {
    return this.order.length;
  }

  connect(): void {}

  /** Always `up`: nothing lies between this process and its history (\`since\`: when the broker was made). */
  status(): SseBrokerStatus {
    return { state: 'up', since: this.createdAt };
  }

  /** Stores and delivers at once; with an `idempotencyKey` seen on the channel within `idempotencyTtlMs`, only returns its position. */
  publish(channel: string, payload: string, options: SseBrokerPublishOptions = {}): SseBrokerPosition {
    const { except, idempotencyKey } = options ?? {};
    checkIdempotencyKey('InMemorySseBroker.publish()', idempotencyKey);
    if (idempotencyKey !== undefined) {
      const first = this.idempotency.find(channel, idempotencyKey, Date.now());
      if (first) return first;
    }
    const seq = ++this.seq;
    const event = { channel, epoch: this.epoch, seq, payload };
    const position = { epoch: this.epoch, seq };
    if (this.maxEvents > 0) this.store(event);
    // Remembered before delivery: a subscriber that publishes again with the key, synchronously, finds it.
    if (idempotencyKey !== undefined) this.idempotency.remember(channel, idempotencyKey, position, Date.now());
    this.subject.next(except === undefined ? { type: 'channel', ...event } : { type: 'channel', ...event, except });
    return position;
  }

  send(message: SseBrokerSentMessage): void {
    this.subject.next(message);
  }

  subscribe(): void {}

  unsubscribe(): void {}

  /** The position of the last event published (seq 0 before the first): delivery is synchronous, so every event up to it has been delivered. */
  head(): SseBrokerPosition {
    return { epoch: this.epoch, seq: this.seq };
  }

  read(channels: readonly string[], after: SseBrokerPosition, limit: number): SseHistoryPage {
    const head = this.seq > 0 ? { epoch: this.epoch, seq: this.seq } : undefined;
    if (after.epoch !== this.epoch || after.seq > this.seq) return { events: [], more: false, reset: 'unknown', head };
    // No history kept at all: whatever came after the position is gone, which the client must be told.
    if (this.maxEvents === 0) {
      return after.seq < this.seq
        ? { events: [], more: false, reset: 'expired', head }
        : { events: [], more: false, head };
    }
    const now = Date.now();
    let expired = false;
    const perChannel = [];
    for (const channel of new Set(channels)) {
      const history = this.histories.get(channel);
      if (!history) {
        if (this.droppedChannelsUpTo > after.seq) expired = true;
        continue;
      }
      const size = history.size;
      this.bytes -= history.prune(now);
      this.events -= size - history.size;
      if (history.droppedUpTo > after.seq) expired = true;
      perChannel.push(history.after(after.seq, limit + 1));
    }
    const page = mergeHistoryPages(perChannel, limit);
    return expired ? { ...page, reset: 'expired', head } : { ...page, head };
  }

  close(): void {
    this.histories.clear();
    this.idempotency.clear();
    this.order = [];
    this.orderStart = 0;
    this.bytes = 0;
    this.events = 0;
    this.subject.complete();
  }

  private store(event: SseBrokerEvent): void {
    const now = Date.now();
    let history = this.histories.get(event.channel);
    if (history) {
      this.histories.delete(event.channel);
    } else {
      if (this.histories.size >= this.maxChannels) this.dropLeastRecentChannel();
      history = new ChannelHistory(this.limits);
      // This channel may have had a history that was dropped: a position before what any dropped history held is not resumable.
      history.droppedUpTo = this.droppedChannelsUpTo;
    }
    this.histories.set(event.channel, history);
    const bytes = Buffer.byteLength(event.payload);
    const size = history.size;
    this.bytes += bytes - history.add(event, bytes, now);
    this.events += history.size - size;
    this.order.push({ channel: event.channel, seq: event.seq });
    this.evictOverBudget();
  }

  private isKept(entry: { channel: string; seq: number }): boolean {
    const history = this.histories.get(entry.channel);
    return history !== undefined && history.oldestSeq !== undefined && entry.seq >= history.oldestSeq;
  }

  /** Evicts the oldest events of all channels until the histories fit `maxBytes`. */
  private evictOverBudget(): void {
    while (this.bytes > this.maxBytes && this.orderStart < this.order.length) {
      const { channel, seq } = this.order[this.orderStart++];
      const history = this.histories.get(channel);
      // Gone already (its channel dropped, or trimmed by its own bounds): nothing to evict.
      if (history?.oldestSeq !== seq) continue;
      this.bytes -= history.evictOldest();
      this.events--;
      if (history.size === 0) this.dropChannel(channel, history);
    }
    // Entries of events that their channel's own bounds let go of: dropped once they outnumber the kept ones.
    // And the entries already evicted, at the front, once they are most of the queue.
    const queued = this.order.length - this.orderStart;
    if (queued > 1024 && queued > 2 * this.events) {
      this.order = this.order.slice(this.orderStart).filter((entry) => this.isKept(entry));
      this.orderStart = 0;
    } else if (this.orderStart > 1024 && this.orderStart * 2 > this.order.length) {
      this.order = this.order.slice(this.orderStart);
      this.orderStart = 0;
    }
  }

  private dropLeastRecentChannel(): void {
    const [channel, history] = this.histories.entries().next().value as [string, ChannelHistory];
    this.dropChannel(channel, history);
  }

  private dropChannel(channel: string, history: ChannelHistory): void {
    this.histories.delete(channel);
    this.bytes -= history.bytes;
    this.events -= history.size;
    this.droppedChannelsUpTo = Math.max(this.droppedChannelsUpTo, history.newestSeq ?? history.droppedUpTo);
  }
}
