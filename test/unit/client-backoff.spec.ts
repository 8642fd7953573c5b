import { backoffDelay, DEFAULT_BACKOFF, retryAfterDelay, spread } from '../../lib/client/backoff.js';
import { parseRetryAfter } from '../../lib/client/retry-after.js';

/** A deterministic PRNG (mulberry32), so that the bounds are checked over many draws the same way every run. */
function prng(seed: number): () => number {
  return () => {
    seed = (seed + 0x6d2b79f5) | 0;
    let t = Math.imul(seed ^ (seed >>> 15), 1 | seed);
    t = (t + Math.imul(t ^ (t >>> 7), 61 | t)) ^ t;
    return ((t ^ (t >>> 14)) >>> 0) / 4294967296;
  };
}

describe('the typed client’s backoff', () => {
  const settings = DEFAULT_BACKOFF;

  it('waits the server’s retry hint exactly after a planned end (no failure yet): the server jitters it already', () => {
    expect(backoffDelay(0, 2917, settings, () => 0)).toBe(2917);
    expect(backoffDelay(0, 2917, settings, () => 0.999)).toBe(2917);
  });

  it('without a hint starts from initialMs ± jitter, and grows by factor per failure in a row, capped at maxMs ± jitter', () => {
    const random = prng(1);
    for (let failures = 0; failures < 12; failures++) {
      const nominal = Math.min(settings.maxMs, settings.initialMs * settings.factor ** failures);
      for (let i = 0; i < 200; i++) {
        const delay = backoffDelay(failures, undefined, settings, random);
        expect(delay).toBeGreaterThanOrEqual(Math.floor(nominal * (1 - settings.jitter)));
        expect(delay).toBeLessThanOrEqual(Math.ceil(nominal * (1 + settings.jitter)));
      }
    }
    expect(backoffDelay(40, undefined, settings, () => 1)).toBe(36_000);
    expect(backoffDelay(3, 100, settings, () => 0.5)).toBe(800);
  });

  it('spreads delays over the whole ± jitter range, never below 0; jitter 0 is exact', () => {
    const random = prng(7);
    const delays = Array.from({ length: 2000 }, () => spread(1000, 0.2, random));
    expect(Math.min(...delays)).toBeGreaterThanOrEqual(800);
    expect(Math.max(...delays)).toBeLessThanOrEqual(1200);
    expect(Math.min(...delays)).toBeLessThan(820);
    expect(Math.max(...delays)).toBeGreaterThan(1180);
    expect(new Set(delays).size).toBeGreaterThan(300);
    expect(spread(1000, 0, random)).toBe(1000);
    expect(spread(0, 1, () => 0)).toBe(0);
  });

  it('honours Retry-After: never sooner than asked nor than the backoff, up to jitter later, at most maxRetryAfterMs', () => {
    const random = prng(3);
    for (let i = 0; i < 500; i++) {
      const delay = retryAfterDelay(5000, 1000, settings, random);
      expect(delay).toBeGreaterThanOrEqual(5000);
      expect(delay).toBeLessThanOrEqual(6000);
    }
    expect(retryAfterDelay(1000, 4000, settings, () => 0)).toBe(4000);
    expect(retryAfterDelay(undefined, 1234, settings)).toBe(1234);
    expect(retryAfterDelay(86_400_000, 1000, settings, () => 0)).toBe(settings.maxRetryAfterMs);
    // Longer than the backoff's own maxMs: the server's explicit word wins, up to maxRetryAfterMs.
    expect(retryAfterDelay(120_000, 1000, settings, () => 0)).toBe(120_000);
  });
});

describe('Retry-After parsing', () => {
  const now = Date.parse('2026-12-01T12:00:00Z');

  it('reads delay-seconds', () => {
    expect(parseRetryAfter('0', now)).toBe(0);
    expect(parseRetryAfter('3', now)).toBe(3000);
    expect(parseRetryAfter(' 120 ', now)).toBe(120_000);
  });

  it('reads an HTTP date in each of its three forms; one in the past is 0', () => {
    expect(parseRetryAfter('Tue, 01 Dec 2026 12:00:30 GMT', now)).toBe(30_000);
    expect(parseRetryAfter('Tuesday, 01-Dec-26 12:01:00 GMT', now)).toBe(60_000);
    expect(parseRetryAfter('Tue Dec  1 12:00:10 2026', now)).toBeGreaterThanOrEqual(0);
    expect(parseRetryAfter('Sun, 06 Nov 1994 08:49:37 GMT', now)).toBe(0);
  });

  it('ignores what is neither', () => {
    for (const value of [null, undefined, '', '  ', '1.5', '-1', 'soon', '3s', 'Tue, garbage']) {
      expect(parseRetryAfter(value, now)).toBeUndefined();
    }
  });
});
