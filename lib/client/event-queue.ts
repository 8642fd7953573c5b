/**
 * The queue behind one `for await` loop over the client: events wait here
 * until the loop takes them. The client asks `size` to stop reading the
 * stream while a queue is full (backpressure).
 */
export class EventQueue<T> implements AsyncIterableIterator<T> {
  private readonly items: T[] = [];
  /** The `next()` calls waiting for an event, oldest first (two overlapping calls each get one). */
  private readonly waiting: { resolve(result: IteratorResult<T>): void; reject(error: unknown): void }[] = [];
  private started = false;
  private ended = false;
  private error: unknown;

  /**
   * @param taken called after the loop took an event (the client may read on).
   * @param left called when the loop is left early (`break`, `return`, a throw).
   * @param start called at the first `next()`: from then on the queue gets events
   *   (one obtained and never iterated holds nothing and holds nothing up).
   */
  constructor(
    private readonly taken: () => void,
    private readonly left: () => void,
    private readonly start: () => void = () => undefined,
  ) {}

  /** Events waiting for the loop. */
  get size(): number {
    return this.items.length;
  }

  /** Hands an event to the loop, or queues it. */
  push(item: T): void {
    if (this.ended) return;
    const waiting = this.waiting.shift();
    if (waiting) waiting.resolve({ value: item, done: false });
    else this.items.push(item);
  }

  /** No more events: the loop ends once it took those queued, and throws `error` if there is one. */
  end(error?: unknown): void {
    if (this.ended) return;
    this.ended = true;
    this.error = error;
    if (this.waiting.length === 0) return;
    if (error !== undefined) this.error = undefined;
    // The first waiting call gets the error; any other the end.
    this.waiting.splice(0).forEach((waiting, i) => {
      if (error !== undefined && i === 0) waiting.reject(error);
      else waiting.resolve({ value: undefined, done: true });
    });
  }

  next(): Promise<IteratorResult<T>> {
    if (!this.started) {
      this.started = true;
      if (!this.ended) this.start();
    }
    if (this.items.length > 0) {
      const value = this.items.shift() as T;
      this.taken();
      return Promise.resolve({ value, done: false });
    }
    if (this.ended) {
      const error = this.error;
      this.error = undefined;
      return error === undefined ? Promise.resolve({ value: undefined, done: true }) : Promise.reject(error);
    }
    return new Promise((resolve, reject) => this.waiting.push({ resolve, reject }));
  }

  return(): Promise<IteratorResult<T>> {
    this.items.length = 0;
    this.error = undefined;
    if (!this.ended) {
      this.end();
      this.left();
    }
    return Promise.resolve({ value: undefined, done: true });
  }

  [Symbol.asyncIterator](): this {
    return this;
  }
}
