import { SSE_MESSAGES } from '../sse.messages.js';

/**
 * Checks an integer option of at least `min` (and at most `max`), naming it
 * and the bad value; returns it, or `fallback` when it is not given. The one
 * integer check of every option of the library.
 */
export function checkInteger(
  name: string,
  value: unknown,
  min: number,
  fallback: number,
  max = Number.MAX_SAFE_INTEGER,
): number {
  if (value === undefined) return fallback;
  if (!Number.isSafeInteger(value) || (value as number) < min || (value as number) > max) {
    const range = max === Number.MAX_SAFE_INTEGER ? `an integer >= ${min}` : `an integer from ${min} to ${max}`;
    throw new Error(SSE_MESSAGES.invalidOption(name, value, range));
  }
  return value as number;
}

/** Checks a fraction option (a finite number from 0 to `max`, at most 1), naming it and the bad value; `fallback` when not given. */
export function checkFraction(name: string, value: unknown, fallback: number, max = 1): number {
  if (value === undefined) return fallback;
  if (typeof value !== 'number' || !Number.isFinite(value) || value < 0 || value > max) {
    throw new Error(SSE_MESSAGES.invalidOption(name, value, `a number from 0 to ${max}`));
  }
  return value;
}
