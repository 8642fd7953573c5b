/** The default deadline of every wait of the testing kit, in milliseconds (`timeoutMs`). */
export const DEFAULT_TEST_TIMEOUT_MS = 5000;

/**
 * A wait that settles once, with a deadline: `start` begins watching and
 * returns how to stop; the deadline and the watching are both removed as soon
 * as it settles, whichever way.
 */
export function timedWait<T>(
  timeoutMs: number,
  timedOut: () => Error,
  start: (resolve: (value: T) => void, reject: (error: Error) => void) => () => void,
): Promise<T> {
  return new Promise<T>((resolve, reject) => {
    let settled = false;
    let stop: (() => void) | undefined;
    const timer = setTimeout(() => settle(() => reject(timedOut())), timeoutMs);
    const settle = (finish: () => void) => {
      if (settled) return;
      settled = true;
      clearTimeout(timer);
      stop?.();
      finish();
    };
    const stopWatching = start(
      (value) => settle(() => resolve(value)),
      (error) => settle(() => reject(error)),
    );
    // `start` may have settled synchronously, before `stop` was known.
    if (settled) stopWatching();
    else stop = stopWatching;
  });
}
