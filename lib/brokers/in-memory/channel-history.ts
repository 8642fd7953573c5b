import type { SseBrokerEvent } from '../sse-broker.interface.js';

interface Entry {
  event: SseBrokerEvent;
  at: number;
}

/**
 * The last events of one channel, bounded in count and age. Remembers the
 * newest sequence number it had to let go of, so that a read from before it
 * knows that it cannot be gap-free.
 */
export class ChannelHistory {
  private entries: Entry[] = [];
  private start = 0;
  /** The highest seq that was dropped from this history (0: none). */
  droppedUpTo = 0;

  constructor(
    private readonly maxEvents: number,
    private readonly maxAgeMs: number,
  ) {}

  /** The seq of the newest event kept, if any. */
  get newestSeq(): number | undefined {
    return this.size > 0 ? this.entries[this.entries.length - 1].event.seq : undefined;
  }

  get size(): number {
    return this.entries.length - this.start;
  }

  add(event: SseBrokerEvent, now: number): void {
    this.entries.push({ event, at: now });
    if (this.size > this.maxEvents) this.dropFirst(this.size - this.maxEvents);
    this.prune(now);
  }

  /** Drops events older than `maxAgeMs`. */
  prune(now: number): void {
    if (this.maxAgeMs <= 0) return;
    let expired = 0;
    while (this.start + expired < this.entries.length && now - this.entries[this.start + expired].at > this.maxAgeMs) {
      expired++;
    }
    if (expired > 0) this.dropFirst(expired);
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

  private dropFirst(count: number): void {
    this.droppedUpTo = this.entries[this.start + count - 1].event.seq;
    this.start += count;
    if (this.start > 1024 && this.start * 2 > this.entries.length) {
      this.entries = this.entries.slice(this.start);
      this.start = 0;
    }
  }
}
