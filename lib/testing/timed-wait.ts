import { TESTING_MESSAGES } from './testing.messages.js';

/** The default deadline of every wait of the testing kit, in milliseconds (`timeoutMs`). */
export const DEFAULT_TEST_TIMEOUT_MS = 5000;

/** The longest delay `setTimeout` keeps (2^31 - 1 ms, about 24.8 days): Node turns a longer one into 1 ms. */
export const MAX_TEST_TIMEOUT_MS = 2 ** 31 - 1;

/**
 * The one check of every `timeoutMs` option of the kit: `undefined` is the
 * default, anything else an integer from 1 to {@link MAX_TEST_TIMEOUT_MS}.
 * `where` names the function, for the message.
 */
export function checkTimeoutMs(where: string, value: unknown): number {
  if (value === undefined) return DEFAULT_TEST_TIMEOUT_MS;
  if (typeof value !== 'number' || !Number.isInteger(value) || value < 1 || value > MAX_TEST_TIMEOUT_MS) {
    throw new TypeError(TESTING_MESSAGES.badTimeout(where, value, MAX_TEST_TIMEOUT_MS));
  }
  return value;
}

/** What `start` returns: how to stop watching, or that and a last check run at the deadline before it rejects. */
export type Watch = (() => void) | { stop: () => void; atDeadline: () => void };

/**
 * A wait that settles once, with a deadline: `start` begins watching and
 * returns how to stop; the deadline and the watching are both removed as soon
 * as it settles, whichever way.
 */
export function timedWait<T>(
  timeoutMs: number,
  timedOut: () => Error,
  start: (resolve: (value: T) => void, reject: (error: Error) => void) => Watch,
): Promise<T> {
  return new Promise<T>((resolve, reject) => {
    let settled = false;
    let watch: Watch | undefined;
    const timer = setTimeout(() => {
      if (typeof watch === 'object') watch.atDeadline();
      settle(() => reject(timedOut()));
    }, timeoutMs);
    const settle = (finish: () => void) => {
      if (settled) return;
      settled = true;
      clearTimeout(timer);
      stop(watch);
      finish();
    };
    const started = start(
      (value) => settle(() => resolve(value)),
      (error) => settle(() => reject(error)),
    );
    // `start` may have settled synchronously, before its watch was known.
    if (settled) stop(started);
    else watch = started;
  });
}

function stop(watch: Watch | undefined): void {
  if (typeof watch === 'function') watch();
  else watch?.stop();
}
