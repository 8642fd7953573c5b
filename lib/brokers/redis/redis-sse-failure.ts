import { REDIS_SSE_MESSAGES } from './redis-sse.messages.js';
import { RedisSseUnavailableError } from './redis-sse-unavailable.error.js';

/** The text of an error from ioredis or Redis, for messages. */
export function reasonOf(error: unknown): string {
  const { message, name } = (error ?? {}) as { message?: unknown; name?: unknown };
  if (typeof message === 'string' && message !== '') return message;
  return typeof name === 'string' ? name : String(error);
}

/** `RedisSseUnavailableError` for an `operation` that could not reach Redis at `target`. */
export function unavailable(
  operation: string,
  target: string,
  reason: string,
  cause?: unknown,
): RedisSseUnavailableError {
  return new RedisSseUnavailableError(REDIS_SSE_MESSAGES.unavailable(operation, target, reason), cause);
}

/**
 * What an operation rejects with when its command failed: a plain error when
 * Redis answered with an error (retrying does not help), otherwise
 * `RedisSseUnavailableError` (the connection dropped or timed out).
 */
export function failure(operation: string, target: string, error: unknown): Error {
  if ((error as Error)?.name === 'ReplyError') {
    return new Error(REDIS_SSE_MESSAGES.refused(operation, reasonOf(error)), { cause: error });
  }
  return unavailable(operation, target, reasonOf(error), error);
}

/** Resolves after `promise`, or rejects after `ms`: for goodbyes that must not hold up a shutdown. */
export function withTimeout<T>(promise: Promise<T>, ms: number): Promise<T> {
  let timer: NodeJS.Timeout | undefined;
  const timeout = new Promise<never>((_, reject) => {
    timer = setTimeout(() => reject(new Error('timeout')), ms);
  });
  return Promise.race([promise, timeout]).finally(() => clearTimeout(timer));
}
