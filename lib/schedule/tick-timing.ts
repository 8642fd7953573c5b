/**
 * How a job names its ticks for the schedule lock. Every instance firing the
 * same tick must derive the same key from its own clock.
 */
export interface TickTiming {
  /** The key of the tick that fires at `now`. */
  keyOf(now: number): string;
  /** How long the claim of that tick must hold (other instances may fire it up to this much later). */
  ttlMs(now: number): number;
}

/**
 * Ticks of a fixed period: one key per period-long window of the clock.
 * Instances start at different moments, so their timers have different
 * phases; whichever fires first in a window claims it, and the others find
 * it taken until the next window.
 */
export function periodTiming(periodMs: number): TickTiming {
  return {
    keyOf: (now) => `${periodMs}ms:${Math.floor(now / periodMs)}`,
    ttlMs: () => periodMs,
  };
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
  };
}
