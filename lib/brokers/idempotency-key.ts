import { SSE_MESSAGES } from '../sse.messages.js';

/** 1 to 200 printable ASCII characters, space to `~`. */
const IDEMPOTENCY_KEY = /^[\x20-\x7e]{1,200}$/;

/** Whether `value` can be the `idempotencyKey` of a publish: 1 to 200 printable ASCII characters. */
export function isIdempotencyKey(value: unknown): value is string {
  return typeof value === 'string' && IDEMPOTENCY_KEY.test(value);
}

/**
 * Throws a `TypeError` naming the option unless `value` is absent
 * (`undefined`) or a valid idempotency key. `where` names the call, as
 * "InMemorySseBroker.publish()". Pure; for the hub and every broker.
 */
export function checkIdempotencyKey(where: string, value: unknown): asserts value is string | undefined {
  if (value !== undefined && !isIdempotencyKey(value)) {
    throw new TypeError(SSE_MESSAGES.invalidIdempotencyKey(where, value));
  }
}
