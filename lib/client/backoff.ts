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

/**
 * The shortest delay after a failure that follows another (a refusal, a
 * network error, a stream that ended without an event...), whatever the
 * server's `retry:` hint and the settings say: a server's `retry: 0` or
 * `initialMs: 0` cannot turn the backoff into a reconnect loop.
 */
export const MIN_FAILURE_DELAY_MS = 100;

/** The longest delay a timer takes (about 24.8 days): a longer one fires at once. */
export const MAX_TIMER_MS = 2 ** 31 - 1;

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
 *
 * From the second failure in a row on (`failures` ≥ 1), the base is at least
 * {@link MIN_FAILURE_DELAY_MS} / `factor`, and the delay, after jitter, at
 * least {@link MIN_FAILURE_DELAY_MS}: 100, 200, 400... ms for a base of 0.
 * Never more than `max(maxMs, MIN_FAILURE_DELAY_MS)` × (1 + jitter), nor than
 * {@link MAX_TIMER_MS}; never negative.
 */
export function backoffDelay(
  failures: number,
  serverRetryMs: number | undefined,
  settings: BackoffSettings,
  random: () => number = Math.random,
): number {
  const hint = serverRetryMs ?? settings.initialMs;
  if (failures <= 0) {
    if (serverRetryMs !== undefined) return Math.min(MAX_TIMER_MS, Math.max(0, Math.round(serverRetryMs)));
    return Math.min(MAX_TIMER_MS, spread(Math.min(settings.maxMs, hint), settings.jitter, random));
  }
  const base = Math.max(hint, MIN_FAILURE_DELAY_MS / settings.factor);
  const grown = Math.min(settings.maxMs, base * settings.factor ** failures);
  return Math.min(MAX_TIMER_MS, Math.max(MIN_FAILURE_DELAY_MS, spread(grown, settings.jitter, random)));
}

/** `ms` ± `jitter` × `ms`, rounded, never negative. */
export function spread(ms: number, jitter: number, random: () => number = Math.random): number {
  return Math.max(0, Math.round(ms * (1 + jitter * (2 * random() - 1))));
}

/**
 * The delay after a refusal with `Retry-After` (`retryAfterMs`, see
 * `parseRetryAfter`): never sooner than the server asked nor than the backoff
 * says, plus up to `jitter` of it more (clients refused together do not all
 * come back in the same second); the server's part is cut to
 * `maxRetryAfterMs`, so that a bogus far-off date does not stall the client
 * for good (the backoff's own delay is never cut).
 */
export function retryAfterDelay(
  retryAfterMs: number | undefined,
  backoffMs: number,
  settings: BackoffSettings,
  random: () => number = Math.random,
): number {
  if (retryAfterMs === undefined) return backoffMs;
  const asked = Math.round(retryAfterMs * (1 + settings.jitter * random()));
  return Math.min(MAX_TIMER_MS, Math.max(backoffMs, Math.min(settings.maxRetryAfterMs, asked)));
}
