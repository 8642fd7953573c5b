import type { RunRef } from './run-names.js';
import { endOf, type RunEnd, type RunRecord, type RunState } from './run-records.js';

/**
 * A run this instance follows through its state channel: its own producer
 * (told of a cancel), and the listeners that wait for its end. Knows the end
 * once a record tells it (live, or read after a gap), whether a cancel came
 * (even before the producer was there to hear it), and when the run was last
 * seen recorded (for the listeners to tell a run whose instance died).
 */
export class WatchedRun {
  /** Holders: this instance's producer of the run, and each of its listeners. */
  refs = 0;
  /** When a record of the run was last heard or read here (this instance's clock). */
  heardAt = Date.now();
  /** The seq of the newest record of the run known here. */
  newest = 0;
  /** The last event of the run's channel its newest record named, once one was heard or read. */
  last: string | undefined;
  /** Whether its instance's silence is being looked into (see `LostRuns`). */
  checking = false;
  private cancel: (() => void) | undefined;
  private cancelled = false;
  private known: RunEnd | undefined;
  private readonly waiters = new Set<(end: RunEnd) => void>();

  constructor(readonly ref: RunRef) {}

  /** How the run ended, once known. */
  get end(): RunEnd | undefined {
    return this.known;
  }

  /** Called on a cancel: this instance's producer stops. Set after a cancel came, it is called at once. */
  set onCancel(cancel: (() => void) | undefined) {
    this.cancel = cancel;
    if (cancel && this.cancelled && !this.known) cancel();
  }

  /** A record of its state channel arrived, at `seq`. */
  record(record: RunRecord, seq: number): void {
    this.heard(seq);
    if (record.t === 'beat') this.last = record.last;
    else if (record.t === 'cancel') this.cancelNow();
    else if (record.t === 'end') this.ended(endOf(record));
  }

  /** Its state was read (after a gap, or to start a listener). */
  apply(state: RunState | undefined): void {
    if (!state) return;
    if (state.newest >= this.newest) this.last = state.last;
    this.heard(state.newest);
    if (state.cancelled && !state.end) this.cancelNow();
    if (state.end) this.ended(state.end);
  }

  /** The run was seen recorded now (a record at `seq`, or the broker came back: give it time again). */
  heard(seq = this.newest): void {
    this.heardAt = Date.now();
    if (seq > this.newest) this.newest = seq;
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

  private cancelNow(): void {
    this.cancelled = true;
    this.cancel?.();
  }
}
