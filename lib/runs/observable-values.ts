import type { Observable, Subscription } from 'rxjs';
import { SSE_RUNS_MESSAGES } from './sse-runs.messages.js';

/**
 * An Observable read as an async iterator: what it emits waits in a queue of
 * at most `max` values until it is taken (past it, the iterator fails: the
 * Observable outpaces its reader). `return()` unsubscribes, so that the
 * Observable's teardown runs at once. The one owner of that subscription.
 */
export class ObservableValues implements AsyncIterator<unknown> {
  private readonly queue: unknown[] = [];
  private waiting: { resolve(step: IteratorResult<unknown>): void; reject(error: unknown): void } | undefined;
  private ended: { error?: unknown } | undefined;
  private subscription: Subscription | undefined;

  constructor(
    source: Observable<unknown>,
    private readonly max: number,
  ) {
    const subscription = source.subscribe({
      next: (value) => this.push(value),
      error: (error: unknown) => this.end({ error }),
      complete: () => this.end({}),
    });
    // A source that ended (or overflowed) while subscribing is unsubscribed here.
    if (this.ended) subscription.unsubscribe();
    else this.subscription = subscription;
  }

  next(): Promise<IteratorResult<unknown>> {
    if (this.queue.length > 0) return Promise.resolve({ done: false, value: this.queue.shift() });
    if (this.ended) {
      return 'error' in this.ended
        ? Promise.reject(this.ended.error)
        : Promise.resolve({ done: true, value: undefined });
    }
    return new Promise((resolve, reject) => (this.waiting = { resolve, reject }));
  }

  return(): Promise<IteratorResult<unknown>> {
    this.queue.length = 0;
    this.end({});
    return Promise.resolve({ done: true, value: undefined });
  }

  private push(value: unknown): void {
    if (this.ended) return;
    const waiting = this.waiting;
    if (waiting) {
      this.waiting = undefined;
      return waiting.resolve({ done: false, value });
    }
    if (this.queue.length >= this.max) return this.end({ error: new Error(SSE_RUNS_MESSAGES.outpaced(this.max)) });
    this.queue.push(value);
  }

  private end(how: { error?: unknown }): void {
    if (this.ended) return;
    this.ended = how;
    this.subscription?.unsubscribe();
    this.subscription = undefined;
    const waiting = this.waiting;
    this.waiting = undefined;
    if (!waiting) return;
    if ('error' in how) waiting.reject(how.error);
    else waiting.resolve({ done: true, value: undefined });
  }
}
