/** What a `BrokerBackoff` waits. */
export interface BrokerBackoffOptions {
  /** The first delay, in ms. */
  readonly firstMs: number;
  /** The longest delay, in ms, whatever the count. */
  readonly maxMs: number;
  /** How many times the delay doubles at most (default: until `maxMs`). */
  readonly doublings?: number;
}

/**
 * The delay before retry number `failures` + 1: `firstMs`, doubling after
 * each failure (at most `doublings` times), capped at `maxMs`. Pure.
 *
 * @example
 * backoffDelay({ firstMs: 100, maxMs: 2000 }, 3); // 800
 */
export function backoffDelay(options: BrokerBackoffOptions, failures: number): number {
  const { firstMs, maxMs, doublings = Infinity } = options;
  return Math.min(firstMs * 2 ** Math.min(failures, doublings), maxMs);
}

/**
 * One retried task with backoff (`backoffDelay()`): at most one timer
 * pending, cancelled when what it retries no longer applies (the connection
 * dropped, the broker closed). Its owner cancels it on close.
 *
 * @example
 * const retry = new BrokerBackoff({ firstMs: 100, maxMs: 2000 });
 * retry.schedule(() => void resubscribe()); // in 100 ms, then 200, 400...
 */
export class BrokerBackoff {
  private timer: NodeJS.Timeout | undefined;
  private failures = 0;

  constructor(private readonly options: BrokerBackoffOptions) {}

  /** How many times in a row the task failed since the last `succeeded()`. */
  get attempts(): number {
    return this.failures;
  }

  /** The task failed: runs `task` after the next delay (replacing a pending run). Returns the delay in ms. */
  schedule(task: () => void): number {
    this.cancel();
    const delay = backoffDelay(this.options, this.failures);
    this.failures++;
    this.timer = setTimeout(() => {
      this.timer = undefined;
      task();
    }, delay);
    return delay;
  }

  /** The task succeeded: the next failure starts from the first delay again. */
  succeeded(): void {
    this.cancel();
    this.failures = 0;
  }

  /** Drops the pending run, if any; keeps the count. */
  cancel(): void {
    if (this.timer) clearTimeout(this.timer);
    this.timer = undefined;
  }
}
