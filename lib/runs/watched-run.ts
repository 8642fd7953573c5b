import type { RunRef } from './run-names.js';
import { endOf, type RunEnd, type RunRecord, type RunState } from './run-records.js';

/**
 * A run this instance follows through its state channel: its own producer
 * (told of a cancel), and the listeners that wait for its end. Knows the end
 * once a record tells it (live, or read after a gap).
 */
export class WatchedRun {
  /** Holders: this instance's producer of the run, and each of its listeners. */
  refs = 0;
  /** Called on a cancel record: this instance's producer stops. */
  onCancel: (() => void) | undefined;
  private known: RunEnd | undefined;
  private readonly waiters = new Set<(end: RunEnd) => void>();

  constructor(readonly ref: RunRef) {}

  /** How the run ended, once known. */
  get end(): RunEnd | undefined {
    return this.known;
  }

  /** A record of its state channel arrived. */
  record(record: RunRecord): void {
    if (record.t === 'cancel') this.onCancel?.();
    else if (record.t === 'end') this.ended(endOf(record));
  }

  /** Its state was read (after a gap, or to start a listener). */
  apply(state: RunState | undefined): void {
    if (state?.cancelled && !state.end) this.onCancel?.();
    if (state?.end) this.ended(state.end);
  }

  /** The run is over: every waiter is told, once. */
  ended(end: RunEnd): void {
    if (this.known) return;
    this.known = end;
    const waiters = [...this.waiters];
    this.waiters.clear();
    for (const waiter of waiters) waiter(end);
  }

  /** Calls `waiter` once the end is known (at once if it is); returns the function that stops waiting. */
  whenEnded(waiter: (end: RunEnd) => void): () => void {
    if (this.known) {
      waiter(this.known);
      return () => undefined;
    }
    this.waiters.add(waiter);
    return () => this.waiters.delete(waiter);
  }
}
