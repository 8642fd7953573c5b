import { EventSource, type FetchLike } from 'eventsource';

export interface ReceivedEvent {
  type: string;
  data: string;
  lastEventId: string;
}

/** A real `eventsource` client that records what it sees, as a browser's EventSource would. */
export class TestEventSource {
  readonly source: EventSource;
  readonly events: ReceivedEvent[] = [];
  readonly errors: { code?: number; message?: string }[] = [];
  opens = 0;
  private readonly waiters = new Set<() => void>();

  constructor(url: string, options: { types?: string[]; fetch?: FetchLike; withCredentials?: boolean } = {}) {
    this.source = new EventSource(url, { fetch: options.fetch, withCredentials: options.withCredentials });
    const record = (event: MessageEvent) => {
      this.events.push({ type: event.type, data: event.data as string, lastEventId: event.lastEventId });
      this.notify();
    };
    this.source.addEventListener('message', record);
    for (const type of options.types ?? []) this.source.addEventListener(type, record);
    this.source.addEventListener('open', () => {
      this.opens++;
      this.notify();
    });
    this.source.addEventListener('error', (event) => {
      this.errors.push({ code: (event as { code?: number }).code, message: (event as { message?: string }).message });
      this.notify();
    });
  }

  /** Resolves once `predicate` holds, checked after every event, open and error. */
  waitFor(predicate: (client: this) => boolean, what = 'the expected state'): Promise<void> {
    return new Promise((resolve, reject) => {
      const check = () => {
        if (predicate(this)) {
          this.waiters.delete(check);
          resolve();
        } else if (this.source.readyState === EventSource.CLOSED) {
          this.waiters.delete(check);
          reject(new Error(`EventSource closed before ${what}; events: ${JSON.stringify(this.events.slice(-5))}`));
        }
      };
      this.waiters.add(check);
      check();
    });
  }

  waitForEvents(count: number): Promise<ReceivedEvent[]> {
    return this.waitFor((c) => c.events.length >= count, `${count} events`).then(() => this.events.slice());
  }

  close(): void {
    this.source.close();
  }

  private notify(): void {
    for (const check of [...this.waiters]) check();
  }
}
