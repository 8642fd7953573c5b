/**
 * How a job names its ticks for the schedule lock. Every instance firing the
 * same tick must derive the same key from its own clock.
 */
export interface TickTiming {
  /** The key of the tick that fires at `now`. */
  keyOf(now: number): string;
  /** How long the claim of that tick must hold (other instances may fire it up to this much later). */
  ttlMs(now: number): number;
  /**
   * How long an instance that did not run the previous tick waits before it
   * claims this one, when every instance fires the tick at the same moment:
   * the instance that ran it claims at once and so keeps the job, tick after
   * tick, while it is up (its producer's state, a counter, stays the one that
   * is published); another takes over this much later in the tick it stops.
   * The key is taken when the tick fires, so the wait never moves it. 0: no wait.
   */
  deferMs: number;
}

/** Most an instance that did not run the previous tick defers its claim. */
const MAX_DEFER_MS = 100;

/**
 * Ticks of a fixed period whose timer started with the app (`@Interval()`,
 * `@Timeout()`: `@nestjs/schedule` owns the timer): one key per period-long
 * window of the clock. Instances start at different moments, so their timers
 * have different phases; whichever fires first in a window claims it, and
 * the others find it taken until the next window.
 */
export function periodTiming(periodMs: number): TickTiming {
  return {
    keyOf: (now) => `${periodMs}ms:${Math.floor(now / periodMs)}`,
    ttlMs: () => periodMs,
    deferMs: 0,
  };
}

/**
 * Ticks of a fixed period that fire just after the multiples of the period
 * of the wall clock (`AlignedInterval`, the timer of `SseScheduler`'s `every`
 * jobs): every instance fires each tick at the same moment, inside the same
 * period-long window, so the window is the same key everywhere from the
 * first tick on. Keyed as `periodTiming`.
 */
export function alignedTiming(periodMs: number): TickTiming {
  return { ...periodTiming(periodMs), deferMs: Math.min(MAX_DEFER_MS, Math.floor(periodMs / 10)) };
}

/**
 * Ticks of a cron schedule: every instance fires at the same scheduled second
 * (a few milliseconds late), so the key is that second. The claim holds until
 * the next scheduled fire, and at least a second.
 */
export function cronTiming(msUntilNext: () => number): TickTiming {
  return {
    keyOf: (now) => `cron:${Math.round(now / 1000)}`,
    ttlMs: () => {
      let next = Number.NaN;
      try {
        next = msUntilNext();
      } catch {
        // A one-shot date in the past has no next fire.
      }
      return Number.isFinite(next) ? Math.max(1000, Math.ceil(next)) : 1000;
    },
    deferMs: MAX_DEFER_MS,
  };
}
