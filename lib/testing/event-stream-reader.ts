import type { IncomingHttpHeaders } from 'node:http';
import { createEventStreamParser, type SseParsedEvent } from '../protocol/event-stream-parser.js';
import type { SseEventMap } from '../protocol/sse-event-map.js';
import type { TestEvent, TestEventDecoder, TestEventStream, TestStreamEndedBy } from './test-event-stream.interface.js';
import type { TestResponse } from './test-request.js';
import { timedWait } from './timed-wait.js';
import { TESTING_MESSAGES } from './testing.messages.js';

/** A check run after every chunk and at the end: it settles its wait or keeps it. */
type Check = () => void;

/**
 * The events of one type, in arrival order (indexes in `events`), and how many
 * of them are consumed: always the first ones, as every consumption takes the
 * oldest unconsumed events (of a type, or of all).
 */
interface TypeQueue {
  indexes: number[];
  consumed: number;
}

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
  private endedHow: TestStreamEndedBy | undefined;
  private failure: Error | undefined;
  /** Per index in `events`: whether `next()`/`take()` handed it out. */
  private readonly consumed: boolean[] = [];
  private consumedCount = 0;
  /** No event before this index is unconsumed: where an untyped `next()`/`take()` starts looking. */
  private firstUnconsumed = 0;
  private readonly queues = new Map<string, TypeQueue>();
  private readonly checks = new Set<Check>();
  // No size limit: a test sees everything the server wrote, however large.
  private readonly parser = createEventStreamParser(
    {
      event: (event) => this.received(event),
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
      const finish = (how: 'end' | 'close' | 'error', error?: Error) => {
        if (this.over) return;
        this.over = true;
        if (this.closed) this.endedHow = 'client';
        else {
          // An end read after a reset (an HTTP/2 stream cancelled by a lost session) is no clean end.
          this.failure =
            how === 'error'
              ? new Error(TESTING_MESSAGES.connectionLost(error), { cause: error })
              : (this.response.failure() ??
                (how === 'close' ? new Error(TESTING_MESSAGES.closedBeforeEnd()) : undefined));
          this.endedHow = this.failure === undefined ? 'server' : 'error';
        }
        // Nothing stays open once the body is over, whichever side ended it.
        this.response.close();
        resolve();
        this.notify();
      };
      body.on('end', () => finish('end'));
      body.on('close', () => finish('close'));
      body.on('error', (error) => finish('error', error));
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

  get endedBy(): TestStreamEndedBy | undefined {
    return this.endedHow;
  }

  get error(): Error | undefined {
    return this.failure;
  }

  next(type?: string): Promise<never> {
    const what = type === undefined ? 'the next event' : `the next ${JSON.stringify(type)} event`;
    return this.waitUntil(what, () => {
      const [index] = this.unconsumed(1, type);
      return index === undefined ? undefined : this.consume([index])[0];
    }) as Promise<never>;
  }

  take(count: number, type?: string): Promise<never> {
    const refused = refuseCount('take()', count);
    if (refused) return refused;
    const what = `${count} more ${type === undefined ? '' : `${JSON.stringify(type)} `}events`;
    return this.waitUntil(what, () => {
      const indexes = this.unconsumed(count, type);
      return indexes.length < count ? undefined : this.consume(indexes);
    }) as Promise<never>;
  }

  waitForEvents(count: number): Promise<SseParsedEvent[]> {
    const refused = refuseCount('waitForEvents()', count);
    if (refused) return refused;
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

  private received(event: SseParsedEvent): void {
    const index = this.events.push(event) - 1;
    this.consumed.push(false);
    let queue = this.queues.get(event.type);
    if (queue === undefined) this.queues.set(event.type, (queue = { indexes: [], consumed: 0 }));
    queue.indexes.push(index);
  }

  /**
   * The first `count` indexes not consumed yet (of `type`), or none if not
   * that many arrived: constant time while too few arrived, and never a scan
   * of what was consumed before (a long stream read with `next()` is linear).
   */
  private unconsumed(count: number, type: string | undefined): number[] {
    if (type !== undefined) {
      const queue = this.queues.get(type);
      if (queue === undefined || queue.indexes.length - queue.consumed < count) return [];
      return queue.indexes.slice(queue.consumed, queue.consumed + count);
    }
    if (this.events.length - this.consumedCount < count) return [];
    while (this.consumed[this.firstUnconsumed]) this.firstUnconsumed++;
    const found: number[] = [];
    for (let i = this.firstUnconsumed; found.length < count; i++) if (!this.consumed[i]) found.push(i);
    return found;
  }

  private consume(indexes: number[]): TestEvent[] {
    // Decode first: an event that does not decode is not consumed (the test sees the error, the event stays).
    const decoded = indexes.map((index) => this.toTestEvent(this.events[index]));
    for (const index of indexes) {
      this.consumed[index] = true;
      this.consumedCount++;
      // The oldest unconsumed of its type, as `unconsumed()` returns them in order.
      this.queues.get(this.events[index].type)!.consumed++;
    }
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
            else if (this.over)
              reject(new Error(TESTING_MESSAGES.endedBefore(what, this.body, this.status, this.failure)));
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

/** A bad count rejects, as every other failure of a wait does (a wait never throws). */
function refuseCount(method: string, count: number): Promise<never> | undefined {
  if (Number.isInteger(count) && count >= 0) return undefined;
  return Promise.reject(new RangeError(TESTING_MESSAGES.badCount(method, count)));
}
