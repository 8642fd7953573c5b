import { EventQueue } from './event-queue.js';

/**
 * The queues of a client's async iterators, and the backpressure they make:
 * while one holds `maxQueued` events, the client waits for room before it
 * reads the stream on.
 */
export class EventQueues<T> {
  private readonly queues = new Set<EventQueue<T>>();
  private waiters: (() => void)[] = [];

  constructor(private readonly maxQueued: number) {}

  /**
   * A queue for one loop: it gets events from its first `next()` on, unless
   * `closed()` says the client stopped (then it ends, with that error).
   * `left` runs when the loop is left early.
   */
  create(closed: () => { error?: unknown } | undefined, left: () => void): EventQueue<T> {
    const queue: EventQueue<T> = new EventQueue(
      () => this.wake(),
      () => {
        this.queues.delete(queue);
        this.wake();
        left();
      },
      () => {
        const info = closed();
        if (info) queue.end(info.error);
        else this.queues.add(queue);
      },
    );
    return queue;
  }

  /** Hands an event to every loop. */
  push(item: T): void {
    for (const queue of this.queues) queue.push(item);
  }

  /** Whether a queue is full: the client should not read on. */
  get full(): boolean {
    for (const queue of this.queues) if (queue.size >= this.maxQueued) return true;
    return false;
  }

  /** Resolves once there is room in every queue, or on `end()`. */
  room(): Promise<void> {
    return new Promise<void>((wake) => this.waiters.push(wake));
  }

  /** Ends every loop (with `error`, if any) and wakes whoever waits for room. */
  end(error?: unknown): void {
    for (const wake of this.waiters.splice(0)) wake();
    for (const queue of this.queues) queue.end(error);
    this.queues.clear();
  }

  private wake(): void {
    if (this.waiters.length === 0 || this.full) return;
    for (const wake of this.waiters.splice(0)) wake();
  }
}
