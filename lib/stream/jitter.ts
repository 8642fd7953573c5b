/**
 * `value` moved by a random amount of up to `fraction` of itself, either way
 * (uniformly), rounded to whole milliseconds and never below 0. The one jitter
 * of the library: the `retry:` hint of every new stream (`retryJitter`), the
 * reconnect hint of streams ended by shutdown or by their lifetime, and the
 * lifetime itself (`maxLifetimeJitter`, through {@link jitterBelow}), so that
 * clients that connected together do not all come back together.
 */
export function jitter(value: number, fraction: number, random: () => number = Math.random): number {
  if (fraction <= 0 || value <= 0) return Math.max(0, Math.round(value));
  return Math.max(0, Math.round(value * (1 + fraction * (2 * random() - 1))));
}

/**
 * A value of at most `max`, `fraction` of it taken off at random: uniform
 * over [max·(1−fraction), max] (a lifetime that must never exceed its limit).
 */
export function jitterBelow(max: number, fraction: number, random: () => number = Math.random): number {
  return jitter(max * (1 - fraction / 2), fraction / (2 - fraction), random);
}
