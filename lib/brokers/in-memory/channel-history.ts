import type { SseStoredEvent } from '../sse-broker.interface.js';

interface Entry {
  event: SseStoredEvent;
  at: number;
}

/**
 * The last events of one channel, bounded in count and age. Remembers the
 * newest sequence number it had to let go of, so that a replay from before it
 * knows that it cannot be gap-free.
 */
export class ChannelHistory {
  private entries: Entry[] = [];
  private start = 0;
  /** The highest seq that was dropped from this history (0: none). */
  droppedUpTo = 0;
  /** When the last event was added. */
  lastAt = 0;

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

  add(event: SseStoredEvent, now: number): void {
    this.entries.push({ event, at: now });
    this.lastAt = now;
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

  /** Events with a seq above `after`, oldest first. */
  after(after: number): SseStoredEvent[] {
    const result: SseStoredEvent[] = [];
    let low = this.start;
    let high = this.entries.length;
    while (low < high) {
      const mid = (low + high) >>> 1;
      if (this.entries[mid].event.seq <= after) low = mid + 1;
      else high = mid;
    }
    for (let i = low; i < this.entries.length; i++) result.push(this.entries[i].event);
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
