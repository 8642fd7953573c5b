import { NATS_SSE_MESSAGES } from './nats-sse.messages.js';

/** The error of a wait for NATS that lasted `ms`: coded as the nats client's own timeouts (`failureKind()` knows it). */
export function timeoutError(ms: number): Error {
  return Object.assign(new Error(NATS_SSE_MESSAGES.noAnswer(ms)), { code: 'TIMEOUT' });
}

/** Resolves after `promise`, or rejects after `ms` with `timeoutError(ms)`: for the waits the nats client does not bound itself. */
export function withTimeout<T>(promise: Promise<T>, ms: number): Promise<T> {
  let timer: NodeJS.Timeout | undefined;
  const timeout = new Promise<never>((_, reject) => {
    timer = setTimeout(() => reject(timeoutError(ms)), ms);
  });
  return Promise.race([promise, timeout]).finally(() => clearTimeout(timer));
}
