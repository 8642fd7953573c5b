/**
 * The heartbeat watchdog: one timer, re-armed by every byte that arrives;
 * when it runs out, `onTimeout` aborts the connection. `timeoutMs` 0 turns it off.
 */
export class Watchdog {
  private timer?: ReturnType<typeof setTimeout>;

  constructor(private readonly timeoutMs: number) {}

  /** (Re)starts the countdown. */
  arm(onTimeout: () => void): void {
    this.disarm();
    if (this.timeoutMs > 0) this.timer = setTimeout(onTimeout, this.timeoutMs);
  }

  /** Stops the countdown (nothing is being read, or the connection is over). */
  disarm(): void {
    if (this.timer !== undefined) clearTimeout(this.timer);
    this.timer = undefined;
  }
}
