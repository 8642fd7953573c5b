interface Waiter {
  resolve(): void;
  reject(error: unknown): void;
}

/** Calls waiting for something to happen (the subscriber to be back), each for a limited time. */
export class RedisSseWaiters {
  private readonly waiters = new Set<Waiter>();

  /** Resolves at the next `resolveAll()`, or rejects with `timedOut()` after `timeoutMs`. */
  wait(timeoutMs: number, timedOut: () => unknown): Promise<void> {
    return new Promise((resolve, reject) => {
      const waiter: Waiter = {
        resolve: () => {
          clearTimeout(timer);
          resolve();
        },
        reject: (error) => {
          clearTimeout(timer);
          reject(error);
        },
      };
      const timer = setTimeout(() => {
        this.waiters.delete(waiter);
        reject(timedOut());
      }, timeoutMs);
      this.waiters.add(waiter);
    });
  }

  resolveAll(): void {
    for (const waiter of this.waiters) waiter.resolve();
    this.waiters.clear();
  }

  rejectAll(error: unknown): void {
    for (const waiter of this.waiters) waiter.reject(error);
    this.waiters.clear();
  }
}
