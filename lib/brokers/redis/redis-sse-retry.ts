/** The first retry's delay; each next one doubles, up to `MAX_DELAY_MS`. */
const FIRST_DELAY_MS = 100;
const MAX_DELAY_MS = 2000;

/**
 * One retried task with backoff (100 ms, doubling up to 2 s): at most one
 * timer pending, cancelled when what it retries no longer applies (the
 * connection dropped, the broker closed).
 */
export class RedisSseRetry {
  private timer: NodeJS.Timeout | undefined;
  private failures = 0;

  /** How many times in a row the task failed since the last `succeeded()`. */
  get attempts(): number {
    return this.failures;
  }

  /** The task failed: runs `task` after the next delay (replacing a pending run). Returns the delay in ms. */
  schedule(task: () => void): number {
    this.cancel();
    const delay = Math.min(FIRST_DELAY_MS * 2 ** this.failures, MAX_DELAY_MS);
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
