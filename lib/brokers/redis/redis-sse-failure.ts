import { REDIS_SSE_MESSAGES } from './redis-sse.messages.js';

/**
 * Credentials a URL in an error text may carry (`redis://user:password@host`): never in a log line, a refusal or a status.
 * Greedy up to the last `@` before a space: a password may itself hold `@` or `/`.
 */
const CREDENTIALS = /(\b[a-z][\w+.-]*:\/\/)\S*@/gi;

/** What went wrong, in words, for logs, refusals and `status()`: never with the credentials of a URL in it. */
export function reasonOf(error: unknown): string {
  const { message, name } = (error ?? {}) as { message?: unknown; name?: unknown };
  const reason =
    typeof message === 'string' && message !== '' ? message : typeof name === 'string' ? name : String(error);
  return redactCredentials(reason);
}

/** `text` with the credentials of every URL in it replaced by `***`. */
export function redactCredentials(text: string): string {
  return text.replace(CREDENTIALS, '$1***@');
}

/** Whether `error` is the rejection of `withTimeout()`: Redis did not answer in time. */
export function isTimeout(error: unknown): boolean {
  return (error as Error | null)?.name === 'RedisSseTimeout';
}

/** The error of a wait for Redis that lasted `ms`: `isTimeout()` knows it. */
export function timeoutError(ms: number): Error {
  const error = new Error(REDIS_SSE_MESSAGES.noAnswer(ms));
  error.name = 'RedisSseTimeout';
  return error;
}

/** Resolves after `promise`, or rejects after `ms` (with an error `isTimeout()` knows): no call waits for Redis longer. */
export function withTimeout<T>(promise: Promise<T>, ms: number): Promise<T> {
  let timer: NodeJS.Timeout | undefined;
  const timeout = new Promise<never>((_, reject) => {
    timer = setTimeout(() => reject(timeoutError(ms)), ms);
  });
  return Promise.race([promise, timeout]).finally(() => clearTimeout(timer));
}
