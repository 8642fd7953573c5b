import type { SseBrokerPosition } from '../sse-broker.interface.js';

interface Waiter {
  readonly position: SseBrokerPosition;
  settle(error?: unknown): void;
}

/** Calls waiting for the listener to have delivered everything up to a position (`head()`), each for a limited time. */
export class PostgresSseWaiters {
  private readonly waiters = new Set<Waiter>();

  /** Resolves once `reached()` covers `position`, or rejects with `timedOut()` after `timeoutMs`. */
  wait(position: SseBrokerPosition, timeoutMs: number, timedOut: () => unknown): Promise<void> {
    return new Promise((resolve, reject) => {
      const waiter: Waiter = {
        position,
        settle: (error) => {
          clearTimeout(timer);
          this.waiters.delete(waiter);
          if (error === undefined) resolve();
          else reject(error);
        },
      };
      const timer = setTimeout(() => waiter.settle(timedOut()), timeoutMs);
      this.waiters.add(waiter);
    });
  }

  /** Everything up to `received` has been delivered: resolves the waits it covers. */
  reached(received: SseBrokerPosition): void {
    for (const waiter of [...this.waiters]) {
      const { epoch, seq } = waiter.position;
      if (received.epoch === epoch && received.seq >= seq) waiter.settle();
    }
  }

  rejectAll(error: unknown): void {
    for (const waiter of [...this.waiters]) waiter.settle(error);
  }
}
