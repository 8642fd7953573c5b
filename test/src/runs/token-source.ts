import { Injectable } from '@nestjs/common';
import { setTimeout as sleep } from 'node:timers/promises';
import { Observable, Subject } from 'rxjs';

/** A promise and its resolve function. */
function deferred<T = void>() {
  let resolve!: (value: T) => void;
  const promise = new Promise<T>((r) => (resolve = r));
  return { promise, resolve };
}

/** One run's token feed, driven by the test: what it emits, whether its teardown ran, its signal. */
export class TokenFeed {
  readonly subject = new Subject<unknown>();
  readonly tornDown = deferred();
  signal: AbortSignal | undefined;

  emit(...tokens: unknown[]): void {
    for (const token of tokens) this.subject.next(token);
  }

  complete(): void {
    this.subject.complete();
  }

  fail(error: unknown): void {
    this.subject.error(error);
  }
}

/**
 * The producers of the runs fixture: each run's producer is a feed the test
 * drives (`started(id)` resolves once the run's producer was called), and
 * whose teardown the test can await. One per app instance.
 */
@Injectable()
export class TokenSource {
  private readonly feeds = new Map<string, TokenFeed>();
  private readonly waiting = new Map<string, ReturnType<typeof deferred<TokenFeed>>>();
  /** How many times a producer was called (a second generation would show here). */
  calls = 0;

  /** The producer of run `id`: an Observable of what the test emits on its feed. */
  feed(id: string, signal: AbortSignal): Observable<unknown> {
    this.calls++;
    const feed = new TokenFeed();
    feed.signal = signal;
    this.feeds.set(id, feed);
    this.waiting.get(id)?.resolve(feed);
    return new Observable((subscriber) => {
      const subscription = feed.subject.subscribe(subscriber);
      return () => {
        subscription.unsubscribe();
        feed.tornDown.resolve();
      };
    });
  }

  /** Resolves with run `id`'s feed once its producer was called on this instance. */
  started(id: string): Promise<TokenFeed> {
    const feed = this.feeds.get(id);
    if (feed) return Promise.resolve(feed);
    let waiting = this.waiting.get(id);
    if (!waiting) this.waiting.set(id, (waiting = deferred<TokenFeed>()));
    return waiting.promise;
  }

  /** Runs whose async generator ran its `finally` block, and why it stopped waiting. */
  readonly finished = new Map<string, string>();

  /** The producer of run `id` as an async generator: a word each 50 ms, waiting on the run's signal. */
  async *words(id: string, signal: AbortSignal): AsyncIterable<string> {
    this.calls++;
    try {
      for (let i = 0; ; i++) {
        await sleep(50, undefined, { signal });
        yield `w${i}`;
      }
    } catch (error) {
      this.finished.set(id, (error as Error).name);
      throw error;
    } finally {
      if (!this.finished.has(id)) this.finished.set(id, 'returned');
      this.waiting.get(`${id}:finally`)?.resolve(this.feeds.get(id) ?? new TokenFeed());
    }
  }

  /** Resolves once run `id`'s generator ran its `finally` block. */
  async whenFinished(id: string): Promise<string> {
    if (!this.finished.has(id)) {
      const waiting = deferred<TokenFeed>();
      this.waiting.set(`${id}:finally`, waiting);
      await waiting.promise;
    }
    return this.finished.get(id)!;
  }

  /** Whether run `id`'s producer was called on this instance. */
  has(id: string): boolean {
    return this.feeds.has(id);
  }
}
