import type { IncomingHttpHeaders } from 'node:http';
import { createEventStreamParser, type SseParsedEvent } from '../protocol/event-stream-parser.js';
import type { SseEventMap } from '../protocol/sse-event-map.js';
import type { TestEvent, TestEventDecoder, TestEventStream } from './test-event-stream.interface.js';
import type { TestResponse } from './test-request.js';
import { timedWait } from './timed-wait.js';
import { TESTING_MESSAGES } from './testing.messages.js';

/** A check run after every chunk and at the end: it settles its wait or keeps it. */
type Check = () => void;

/**
 * Reads a response as an event stream: keeps the text, parses it with the
 * library's own parser, and settles the waits as chunks arrive. The one
 * implementation of {@link TestEventStream}.
 */
export class EventStreamReader<M extends SseEventMap> implements TestEventStream<M> {
  readonly status: number;
  readonly headers: IncomingHttpHeaders;
  readonly events: SseParsedEvent[] = [];
  readonly comments: string[] = [];
  readonly retries: number[] = [];
  readonly ended: Promise<void>;
  private body = '';
  private over = false;
  private closed = false;
  /** Indexes in `events` that `next()`/`take()` have handed out. */
  private readonly consumed = new Set<number>();
  private readonly checks = new Set<Check>();
  // No size limit: a test sees everything the server wrote, however large.
  private readonly parser = createEventStreamParser(
    {
      event: (event) => this.events.push(event),
      comment: (comment) => this.comments.push(comment),
      retry: (ms) => this.retries.push(ms),
    },
    { maxBufferSize: Number.MAX_SAFE_INTEGER },
  );

  constructor(
    private readonly response: TestResponse,
    private readonly timeoutMs: number,
    private readonly decode: TestEventDecoder,
  ) {
    this.status = response.status;
    this.headers = response.headers;
    const { body } = response;
    body.setEncoding('utf8');
    this.ended = new Promise<void>((resolve) => {
      const finish = () => {
        if (this.over) return;
        this.over = true;
        // Nothing stays open once the body is over, whichever side ended it.
        this.response.close();
        resolve();
        this.notify();
      };
      body.on('end', finish);
      body.on('close', finish);
      body.on('error', finish);
    });
    body.on('data', (chunk: string) => {
      this.body += chunk;
      this.parser.feed(chunk);
      this.notify();
    });
  }

  get text(): string {
    return this.body;
  }

  get lastEventId(): string {
    return this.parser.lastEventId;
  }

  get isEnded(): boolean {
    return this.over;
  }

  next(type?: string): Promise<never> {
    const what = type === undefined ? 'the next event' : `the next ${JSON.stringify(type)} event`;
    return this.waitUntil(what, () => {
      const [index] = this.unconsumed(1, type);
      return index === undefined ? undefined : this.consume([index])[0];
    }) as Promise<never>;
  }

  take(count: number, type?: string): Promise<never> {
    assertCount('take()', count);
    const what = `${count} more ${type === undefined ? '' : `${JSON.stringify(type)} `}events`;
    return this.waitUntil(what, () => {
      const indexes = this.unconsumed(count, type);
      return indexes.length < count ? undefined : this.consume(indexes);
    }) as Promise<never>;
  }

  waitForEvents(count: number): Promise<SseParsedEvent[]> {
    assertCount('waitForEvents()', count);
    return this.waitUntil(`${count} events in all (had ${this.events.length})`, () =>
      this.events.length >= count ? this.events.slice() : undefined,
    );
  }

  waitForText(expected: string | RegExp | ((text: string) => boolean)): Promise<string> {
    const what =
      typeof expected === 'string'
        ? `text containing ${JSON.stringify(expected)}`
        : expected instanceof RegExp
          ? `text matching ${String(expected)}`
          : 'text satisfying the predicate';
    const holds = (text: string) =>
      typeof expected === 'string'
        ? text.includes(expected)
        : expected instanceof RegExp
          ? new RegExp(expected.source, expected.flags.replace(/[gy]/g, '')).test(text)
          : expected(text);
    return this.waitUntil(what, () => (holds(this.body) ? this.body : undefined));
  }

  waitForEnd(): Promise<void> {
    if (this.over) return this.ended;
    return timedWait(
      this.timeoutMs,
      () => new Error(TESTING_MESSAGES.timedOut('the stream to end', this.timeoutMs, this.body)),
      (resolve) => {
        const check = () => this.over && resolve();
        this.checks.add(check);
        return () => this.checks.delete(check);
      },
    );
  }

  close(): void {
    if (this.closed) return;
    this.closed = true;
    this.response.close();
  }

  private notify(): void {
    for (const check of [...this.checks]) check();
  }

  /** The first `count` indexes not consumed yet (of `type`), fewer if not that many arrived. */
  private unconsumed(count: number, type: string | undefined): number[] {
    const found: number[] = [];
    for (let i = 0; i < this.events.length && found.length < count; i++) {
      if (!this.consumed.has(i) && (type === undefined || this.events[i].type === type)) found.push(i);
    }
    return found;
  }

  private consume(indexes: number[]): TestEvent[] {
    // Decode first: an event that does not decode is not consumed (the test sees the error, the event stays).
    const decoded = indexes.map((index) => this.toTestEvent(this.events[index]));
    indexes.forEach((index) => this.consumed.add(index));
    return decoded;
  }

  private toTestEvent(event: SseParsedEvent): TestEvent {
    return {
      type: event.type,
      data: this.decodeData(event),
      rawData: event.data,
      id: event.id,
      lastEventId: event.lastEventId,
    };
  }

  private decodeData(event: SseParsedEvent): unknown {
    if (this.decode === 'text') return event.data;
    if (typeof this.decode === 'function') return this.decode(event.data, event);
    try {
      return JSON.parse(event.data);
    } catch (error) {
      throw new SyntaxError(TESTING_MESSAGES.notJson(event.type, event.data, error), { cause: error });
    }
  }

  /** Resolves with what `ready` returns once it is not `undefined`; rejects when the stream ends first, or on the deadline. */
  private waitUntil<T>(what: string, ready: () => T | undefined): Promise<T> {
    return timedWait<T>(
      this.timeoutMs,
      () => new Error(TESTING_MESSAGES.timedOut(what, this.timeoutMs, this.body)),
      (resolve, reject) => {
        const check = () => {
          try {
            const value = ready();
            if (value !== undefined) resolve(value);
            else if (this.over) reject(new Error(TESTING_MESSAGES.endedBefore(what, this.body, this.status)));
          } catch (error) {
            reject(error as Error);
          }
        };
        this.checks.add(check);
        check();
        return () => this.checks.delete(check);
      },
    );
  }
}

function assertCount(method: string, count: number): void {
  if (!Number.isInteger(count) || count < 0) throw new RangeError(TESTING_MESSAGES.badCount(method, count));
}
