/** How far (ms) a tick may drift from its moment before the timer is put back on it. */
const MAX_DRIFT_MS = 10;
/** How long after each multiple of the period a tick fires, at most (ms). */
const MAX_OFFSET_MS = 10;

/**
 * A repeating timer whose ticks fall just after the multiples of `every` of
 * the wall clock (`Date.now()`), whenever it was started: the first tick
 * comes after the next multiple, then one every `every` ms. Instances that
 * run the same job started at different moments, but they tick together,
 * each tick inside the same `every`-long window of the clock (the lock key of
 * `alignedTiming`) on all of them, from the first tick on.
 *
 * Each tick fires a tenth of the period (at most 10 ms) after its multiple,
 * so that a timer that fires a millisecond early, or a clock a little behind,
 * still falls in the tick's own window.
 *
 * `ref` is one Node interval timer, which `SchedulerRegistry` holds like any
 * other (`deleteInterval()` clears it). It starts with the period as usual;
 * a one-shot timer fires at the first tick's moment, runs it and re-arms the
 * interval from there (`Timeout.refresh()`). Node schedules each repetition
 * from when the previous one ran, so the ticks slowly drift late: once a tick
 * is more than a few milliseconds off, the same one-shot timer puts the next
 * one back on its moment. `onTick` runs once per tick at most.
 */
export class AlignedInterval {
  /** The interval timer; clearing it (`clearInterval`, `SchedulerRegistry.deleteInterval()`) stops the ticks. */
  readonly ref: ReturnType<typeof setInterval>;
  private readonly offset: number;
  private aligning?: ReturnType<typeof setTimeout>;
  private lastTick = Number.NEGATIVE_INFINITY;

  /**
   * @param every the period, in ms (a whole number from 1).
   * @param onTick runs at each tick.
   * @param isActive whether `ref` is still the running timer of the job: false once it was cleared
   *   elsewhere (`SchedulerRegistry`), so that a pending alignment does not run a tick after that.
   */
  constructor(
    private readonly every: number,
    private readonly onTick: () => void,
    private readonly isActive: () => boolean,
  ) {
    this.offset = Math.min(MAX_OFFSET_MS, Math.floor(every / 10));
    this.ref = setInterval(() => this.fired(), every);
    this.alignAfter(Date.now());
  }

  /** Stops the ticks: the interval and any pending alignment. */
  stop(): void {
    clearInterval(this.ref);
    clearTimeout(this.aligning);
    this.aligning = undefined;
  }

  /** The tick whose moment is nearest to `now`. */
  private nearest(now: number): number {
    return Math.round((now - this.offset) / this.every);
  }

  private fired(): void {
    const now = Date.now();
    const tick = this.nearest(now);
    this.run(tick);
    const drift = now - (tick * this.every + this.offset);
    if (Math.abs(drift) > Math.min(MAX_DRIFT_MS, this.every / 4)) this.alignAfter(now);
  }

  /** Runs the first tick whose moment is after `now`, then the interval from there. */
  private alignAfter(now: number): void {
    clearTimeout(this.aligning);
    const next = Math.floor((now - this.offset) / this.every) + 1;
    this.aligning = setTimeout(
      () => {
        this.aligning = undefined;
        if (!this.isActive()) return;
        this.ref.refresh();
        this.run(Math.max(next, this.nearest(Date.now())));
      },
      next * this.every + this.offset - now,
    );
    // The interval keeps the process alive while the job runs; this one-shot timer need not.
    this.aligning.unref();
  }

  private run(tick: number): void {
    if (tick <= this.lastTick) return;
    this.lastTick = tick;
    this.onTick();
  }
}
