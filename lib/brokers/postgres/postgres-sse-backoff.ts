/** The longest delay between two attempts, whatever the first one. */
const MAX_DELAY_MS = 30_000;

/**
 * One retried task with backoff: `firstMs`, doubling up to 16 times it (at
 * most 30 s); at most one timer pending, cancelled when what it retries no
 * longer applies (the broker closed).
 */
export class PostgresSseBackoff {
  private timer: NodeJS.Timeout | undefined;
  private failures = 0;

  constructor(private readonly firstMs: number) {}

  /** How many times in a row the task failed since the last `succeeded()`. */
  get attempts(): number {
    return this.failures;
  }

  /** The task failed: runs `task` after the next delay (replacing a pending run). Returns the delay in ms. */
  schedule(task: () => void): number {
    this.cancel();
    const delay = Math.min(this.firstMs * 2 ** Math.min(this.failures, 4), Math.max(this.firstMs, MAX_DELAY_MS));
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
