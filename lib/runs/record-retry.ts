import { isBrokerUnavailable } from '../brokers/sse-broker-unavailable.error.js';

/** How long a record is retried while the broker is away, before the run gives up on it. */
export const RECORD_RETRY_MS = 10_000;

/** What a retried record needs of its run: a pause it can cut short, and whether to give up at once. */
export interface RetryPacing {
  sleep(ms: number): Promise<void>;
  readonly givingUp: boolean;
}

/**
 * The pauses between the retries of the starts of one service: each can be
 * cut short, and all are at shutdown (`cutAll()`), so that no timer is left.
 * Gives up (`givingUp`) once `closing()` says so. The one owner of those timers.
 */
export class RetryPauses implements RetryPacing {
  private readonly pending = new Set<() => void>();

  constructor(private readonly closing: () => boolean) {}

  get givingUp(): boolean {
    return this.closing();
  }

  sleep(ms: number): Promise<void> {
    return new Promise((resolve) => {
      const done = () => {
        clearTimeout(timer);
        this.pending.delete(done);
        resolve();
      };
      const timer = setTimeout(done, ms);
      this.pending.add(done);
    });
  }

  /** Ends every pause now (their retries then see `givingUp`). */
  cutAll(): void {
    for (const done of [...this.pending]) done();
  }
}

/**
 * Runs `attempt` until it succeeds, again after a pause (50 ms doubling to
 * 1 s) while it fails with the broker's unavailable error, for at most
 * `RECORD_RETRY_MS`. After a failure that may have been stored all the same
 * (`maybePublished`), `stored()` is asked first (and asked again while it
 * fails) whether it was: an attempt is made again only once it says no, so
 * that nothing is recorded twice.
 */
export async function retryRecord<T>(
  pacing: RetryPacing,
  attempt: () => Promise<T>,
  stored: () => Promise<T | undefined>,
): Promise<T> {
  const deadline = Date.now() + RECORD_RETRY_MS;
  let unsure = false;
  for (let pause = 50; ; pause = Math.min(2 * pause, 1000)) {
    try {
      if (unsure) {
        const found = await stored();
        if (found !== undefined) return found;
        unsure = false;
      }
      return await attempt();
    } catch (error) {
      if (!isBrokerUnavailable(error) || pacing.givingUp || Date.now() + pause > deadline) throw error;
      if (error.maybePublished) unsure = true;
      await pacing.sleep(pause);
    }
  }
}
