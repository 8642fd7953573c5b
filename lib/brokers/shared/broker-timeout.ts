/**
 * Resolves after `promise`, or rejects after `ms` with the error
 * `timeoutError(ms)` makes (each broker names its own, so that its
 * `isTimeout()` knows it): no call waits for the service longer. The timer is
 * cleared either way.
 *
 * @example
 * await withTimeout(client.quit(), 1000, (ms) => new Error(`no answer within ${ms} ms`));
 */
export function withTimeout<T>(promise: Promise<T>, ms: number, timeoutError: (ms: number) => Error): Promise<T> {
  let timer: NodeJS.Timeout | undefined;
  const timeout = new Promise<never>((_, reject) => {
    timer = setTimeout(() => reject(timeoutError(ms)), ms);
  });
  return Promise.race([promise, timeout]).finally(() => clearTimeout(timer));
}
