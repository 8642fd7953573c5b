import type { SseBrokerEvent } from '../sse-broker.interface.js';

interface Entry {
  event: SseBrokerEvent;
  at: number;
  bytes: number;
}

/** The bounds of one channel's history. */
export interface ChannelHistoryLimits {
  maxEvents: number;
  maxAgeMs: number;
  maxBytes: number;
}

/**
 * The last events of one channel, bounded in count, bytes and age. Remembers
 * the newest sequence number it had to let go of, so that a read from before
 * it knows that it cannot be gap-free, and counts its bytes, so that the
 * broker can hold all histories to one budget.
 */
export class ChannelHistory {
  private entries: Entry[] = [];
  private start = 0;
  /** The highest seq that was dropped from this history (0: none). */
  droppedUpTo = 0;
  /** Bytes of the events kept. */
  bytes = 0;

  constructor(private readonly limits: ChannelHistoryLimits) {}

  /** The seq of the newest event kept, if any. */
  get newestSeq(): number | undefined {
    return this.size > 0 ? this.entries[this.entries.length - 1].event.seq : undefined;
  }

  /** The seq of the oldest event kept, if any. */
  get oldestSeq(): number | undefined {
    return this.size > 0 ? this.entries[this.start].event.seq : undefined;
  }

  get size(): number {
    return this.entries.length - this.start;
  }

  /** Adds an event of `bytes` bytes; returns the bytes it let go of to stay in its bounds. */
  add(event: SseBrokerEvent, bytes: number, now: number): number {
    this.entries.push({ event, at: now, bytes });
    this.bytes += bytes;
    const before = this.bytes - bytes;
    if (this.size > this.limits.maxEvents) this.dropFirst(this.size - this.limits.maxEvents);
    while (this.size > 1 && this.bytes > this.limits.maxBytes) this.dropFirst(1);
    this.prune(now);
    return before + bytes - this.bytes;
  }

  /** Drops events older than `maxAgeMs`; returns the bytes let go of. */
  prune(now: number): number {
    if (this.limits.maxAgeMs <= 0) return 0;
    let expired = 0;
    while (
      this.start + expired < this.entries.length &&
      now - this.entries[this.start + expired].at > this.limits.maxAgeMs
    ) {
      expired++;
    }
    return expired > 0 ? this.dropFirst(expired) : 0;
  }

  /** Drops the oldest event (the broker's budget over all channels); returns its bytes. */
  evictOldest(): number {
    return this.size > 0 ? this.dropFirst(1) : 0;
  }

  /** At most `limit` events with a seq above `after`, oldest first. */
  after(after: number, limit: number): SseBrokerEvent[] {
    const result: SseBrokerEvent[] = [];
    let low = this.start;
    let high = this.entries.length;
    while (low < high) {
      const mid = (low + high) >>> 1;
      if (this.entries[mid].event.seq <= after) low = mid + 1;
      else high = mid;
    }
    const end = Math.min(this.entries.length, low + limit);
    for (let i = low; i < end; i++) result.push(this.entries[i].event);
    return result;
  }

  private dropFirst(count: number): number {
    let bytes = 0;
    for (let i = this.start; i < this.start + count; i++) bytes += this.entries[i].bytes;
    this.droppedUpTo = this.entries[this.start + count - 1].event.seq;
    this.start += count;
    this.bytes -= bytes;
    if (this.start > 1024 && this.start * 2 > this.entries.length) {
      this.entries = this.entries.slice(this.start);
      this.start = 0;
    }
    return bytes;
  }
}
