import { MAX_TIMER_DELAY_MS } from '../sse.constants.js';

/** Re-exported for the tests: expiries later than this re-arm the timer. */
export { MAX_TIMER_DELAY_MS };

interface Entry {
  at: number;
  key: string;
}

/**
 * Calls `onExpire` for each key when its time comes, with one timer for all of
 * them: a min-heap of expiry times, the timer armed for the earliest. Removing
 * a key leaves its heap entry behind until its time or the next compaction, so
 * removal is O(1); the heap is rebuilt once stale entries outnumber live ones.
 */
export class DeadlineSchedule<T> {
  private readonly live = new Map<string, { at: number; value: T }>();
  private heap: Entry[] = [];
  private timer: NodeJS.Timeout | undefined;
  private armedAt = Number.POSITIVE_INFINITY;

  constructor(private readonly onExpire: (value: T, key: string) => void) {}

  /** Keys waiting for their time. */
  get size(): number {
    return this.live.size;
  }

  /** Whether the timer runs (it does only while a key waits). */
  get hasTimer(): boolean {
    return this.timer !== undefined;
  }

  /** Schedules `key` (replacing its earlier time, if any) at `at` ms since the epoch. Never calls back synchronously. */
  add(key: string, at: number, value: T): void {
    this.live.set(key, { at, value });
    this.push({ at, key });
    if (at < this.armedAt) this.arm();
  }

  /** When `key` is due (ms since the epoch), if it waits. */
  atOf(key: string): number | undefined {
    return this.live.get(key)?.at;
  }

  /** Forgets `key`. */
  delete(key: string): void {
    if (!this.live.delete(key)) return;
    if (this.live.size === 0) {
      this.heap = [];
      this.disarm();
    } else if (this.heap.length > 64 && this.heap.length > 2 * this.live.size) {
      this.compact();
    }
  }

  /** Forgets every key and stops the timer. */
  clear(): void {
    this.live.clear();
    this.heap = [];
    this.disarm();
  }

  private readonly fire = (): void => {
    this.timer = undefined;
    this.armedAt = Number.POSITIVE_INFINITY;
    const now = Date.now();
    const due: [string, T][] = [];
    while (this.heap.length > 0 && this.heap[0].at <= now) {
      const { key, at } = this.pop();
      const entry = this.live.get(key);
      if (entry?.at !== at) continue; // removed, or re-scheduled at another time
      this.live.delete(key);
      due.push([key, entry.value]);
    }
    this.arm();
    for (const [key, value] of due) this.onExpire(value, key);
  };

  private arm(): void {
    this.disarm();
    while (this.heap.length > 0 && this.live.get(this.heap[0].key)?.at !== this.heap[0].at) this.pop();
    if (this.heap.length === 0) return;
    const at = this.heap[0].at;
    this.armedAt = at;
    this.timer = setTimeout(this.fire, Math.min(Math.max(0, at - Date.now()), MAX_TIMER_DELAY_MS));
    this.timer.unref();
  }

  private disarm(): void {
    if (this.timer) clearTimeout(this.timer);
    this.timer = undefined;
    this.armedAt = Number.POSITIVE_INFINITY;
  }

  private compact(): void {
    this.heap = [];
    for (const [key, { at }] of this.live) this.push({ at, key });
  }

  private push(entry: Entry): void {
    const heap = this.heap;
    heap.push(entry);
    let i = heap.length - 1;
    while (i > 0) {
      const parent = (i - 1) >> 1;
      if (heap[parent].at <= entry.at) break;
      heap[i] = heap[parent];
      i = parent;
    }
    heap[i] = entry;
  }

  private pop(): Entry {
    const heap = this.heap;
    const top = heap[0];
    const last = heap.pop()!;
    if (heap.length > 0) {
      let i = 0;
      for (;;) {
        const left = 2 * i + 1;
        if (left >= heap.length) break;
        const right = left + 1;
        const child = right < heap.length && heap[right].at < heap[left].at ? right : left;
        if (heap[child].at >= last.at) break;
        heap[i] = heap[child];
        i = child;
      }
      heap[i] = last;
    }
    return top;
  }
}
