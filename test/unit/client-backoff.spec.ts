import { execFileSync } from 'node:child_process';
import { readFileSync } from 'node:fs';
import ts from 'typescript';
import {
  backoffDelay,
  DEFAULT_BACKOFF,
  MAX_TIMER_MS,
  MIN_FAILURE_DELAY_MS,
  retryAfterDelay,
  spread,
} from '../../lib/client/backoff.js';
import { parseRetryAfter } from '../../lib/client/retry-after.js';
import { prng } from '../utils/prng.js';

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

  it('a base of 0 (retry: 0 from the server, or initialMs 0) still backs off: 100, 200, 400... ms from the second failure', () => {
    const none = { ...settings, jitter: 0 };
    // The first reconnect waits the hint as the server said it (0: at once), as a browser does.
    expect(backoffDelay(0, 0, none)).toBe(0);
    expect([1, 2, 3, 4].map((failures) => backoffDelay(failures, 0, none))).toEqual([100, 200, 400, 800]);
    const zero = { ...none, initialMs: 0 };
    expect([0, 1, 2, 3].map((failures) => backoffDelay(failures, undefined, zero))).toEqual([0, 100, 200, 400]);
    // With jitter, never under the floor; with factor 1, the floor itself.
    for (let i = 0; i < 200; i++)
      expect(backoffDelay(1, 0, settings, prng(i))).toBeGreaterThanOrEqual(MIN_FAILURE_DELAY_MS);
    expect(backoffDelay(9, 0, { ...none, factor: 1 })).toBe(MIN_FAILURE_DELAY_MS);
    // A maxMs under the floor does not lower it; a small base above it is kept.
    expect(backoffDelay(3, undefined, { ...none, initialMs: 10, maxMs: 20 })).toBe(MIN_FAILURE_DELAY_MS);
    expect([0, 1, 2].map((f) => backoffDelay(f, 60, none))).toEqual([60, 120, 240]);
  });

  it('never returns more than a timer takes, whatever the hint, the factor or the count', () => {
    const huge = { ...settings, maxMs: MAX_TIMER_MS, jitter: 1 };
    expect(backoffDelay(0, Number.POSITIVE_INFINITY, huge)).toBe(MAX_TIMER_MS);
    expect(backoffDelay(60, 3_000_000_000, huge, () => 1)).toBe(MAX_TIMER_MS);
    expect(retryAfterDelay(Number.POSITIVE_INFINITY, 10, { ...huge, maxRetryAfterMs: MAX_TIMER_MS }, () => 1)).toBe(
      MAX_TIMER_MS,
    );
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
    expect(parseRetryAfter('Tue Dec  1 12:00:10 2026', now)).toBe(Date.UTC(2026, 11, 1, 12, 0, 10) - now);
    expect(parseRetryAfter('Tue, 01 Dec 2026 12:00:10', now)).toBe(10_000);
    expect(parseRetryAfter('Sun, 06 Nov 1994 08:49:37 GMT', now)).toBe(0);
  });

  it('reads a zone-less date (asctime) as GMT in any time zone, not as local time', () => {
    // The process's own zone cannot be changed under jest: the parser runs in a node with TZ set.
    const source = ts.transpileModule(
      readFileSync(new URL('../../lib/client/retry-after.ts', import.meta.url), 'utf8'),
      {
        compilerOptions: { module: ts.ModuleKind.ES2022, target: ts.ScriptTarget.ES2022 },
      },
    ).outputText;
    const script =
      `const { parseRetryAfter } = await import('data:text/javascript,' + encodeURIComponent(${JSON.stringify(source)}));` +
      `console.log(JSON.stringify([new Date(0).getTimezoneOffset(), parseRetryAfter('Tue Dec  1 12:00:10 2026', ${now}),` +
      ` parseRetryAfter('Tue, 01 Dec 2026 12:00:10', ${now}), parseRetryAfter('Tue, 01 Dec 2026 12:00:10 GMT', ${now})]));`;
    for (const zone of ['America/New_York', 'Asia/Kolkata', 'UTC']) {
      const out = execFileSync(process.execPath, ['--input-type=module', '-e', script], {
        env: { ...process.env, TZ: zone, NODE_OPTIONS: '' },
        encoding: 'utf8',
      });
      const [offset, ...delays] = JSON.parse(out) as number[];
      expect([zone, offset === 0, delays]).toEqual([zone, zone === 'UTC', [10_000, 10_000, 10_000]]);
    }
  });

  it('ignores what is neither', () => {
    for (const value of [null, undefined, '', '  ', '1.5', '-1', 'soon', '3s', 'Tue, garbage']) {
      expect(parseRetryAfter(value, now)).toBeUndefined();
    }
  });
});
