/**
 * Reconnection delays: exponential backoff with jitter, the server's `retry:`
 * as the base, and `Retry-After`. Pure: the random source is a parameter.
 */

/** The backoff settings (option `retry`), with defaults applied. */
export interface BackoffSettings {
  /** The base delay when the server sent no `retry:`, ms. Default 1000. */
  readonly initialMs: number;
  /** The longest delay of the backoff itself, ms. Default 30000. */
  readonly maxMs: number;
  /** What each failure in a row multiplies the delay by. Default 2. */
  readonly factor: number;
  /** The fraction a delay is spread by, ± (0 to 1). Default 0.2. */
  readonly jitter: number;
  /** The longest `Retry-After` honoured, ms: a later one is cut to it. Default 300000 (5 minutes). */
  readonly maxRetryAfterMs: number;
}

/** The defaults of {@link BackoffSettings}. */
export const DEFAULT_BACKOFF: BackoffSettings = {
  initialMs: 1000,
  maxMs: 30_000,
  factor: 2,
  jitter: 0.2,
  maxRetryAfterMs: 300_000,
};

/**
 * The delay before reconnect number `failures + 1` in a row:
 * `min(maxMs, base × factor^failures)`, spread by ± `jitter`, where `base` is
 * the server's `retry:` hint when it sent one, else `initialMs`. The first
 * reconnect after a planned end (`failures` 0) waits the server's hint exactly
 * (the server already jitters it per connection), or `initialMs` ± jitter.
 * Never more than `maxMs` × (1 + jitter), never negative.
 */
export function backoffDelay(
  failures: number,
  serverRetryMs: number | undefined,
  settings: BackoffSettings,
  random: () => number = Math.random,
): number {
  const base = serverRetryMs ?? settings.initialMs;
  if (failures <= 0 && serverRetryMs !== undefined) return Math.max(0, Math.round(serverRetryMs));
  const grown = Math.min(settings.maxMs, base * settings.factor ** Math.max(0, failures));
  return spread(Math.max(grown, 0), settings.jitter, random);
}

/** `ms` ± `jitter` × `ms`, rounded, never negative. */
export function spread(ms: number, jitter: number, random: () => number = Math.random): number {
  return Math.max(0, Math.round(ms * (1 + jitter * (2 * random() - 1))));
}

/**
 * The delay after a refusal with `Retry-After` (`retryAfterMs`, see
 * `parseRetryAfter`): never sooner than the server asked nor than the backoff
 * says, plus up to `jitter` of it more (clients refused together do not all
 * come back in the same second), and at most `maxRetryAfterMs`, so that a
 * bogus far-off date does not stall the client for good.
 */
export function retryAfterDelay(
  retryAfterMs: number | undefined,
  backoffMs: number,
  settings: BackoffSettings,
  random: () => number = Math.random,
): number {
  if (retryAfterMs === undefined) return backoffMs;
  const asked = Math.round(retryAfterMs * (1 + settings.jitter * random()));
  return Math.min(settings.maxRetryAfterMs, Math.max(asked, backoffMs));
}
