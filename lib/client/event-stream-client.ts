import {
  createEventStreamParser,
  SseParserOverflowError,
  type SseParsedEvent,
} from '../protocol/event-stream-parser.js';
import type { SseEndData } from '../protocol/final-word.js';
import type { SseEventMap, SseEventName } from '../protocol/sse-event-map.js';
import { backoffDelay, MAX_TIMER_MS, retryAfterDelay } from './backoff.js';
import {
  resolveClientOptions,
  resolveUrl,
  type EventStreamClientOptions,
  type ResolvedClientOptions,
} from './client-options.js';
import type {
  Connection,
  EventStreamClosed,
  EventStreamListener,
  EventStreamMessage,
  EventStreamResetEvent,
  EventStreamState,
  EventStreamStateChange,
  Reconnect,
} from './client-types.js';
import { EventQueues } from './event-queues.js';
import { ListenerRegistry } from './listener-registry.js';
import {
  decodeError,
  failureError,
  finalWordError,
  finalWordOf,
  requestError,
  resetOf,
  retryStatusError,
} from './reconnect-errors.js';
import { Watchdog } from './watchdog.js';
import { EventStreamError } from './event-stream.error.js';
import { decideOnFinalWord } from './stop-rules.js';
import { outcomeOfAnswer } from './answer.js';
import { buildRequestHeaders } from './request.js';

/**
 * A typed Server-Sent Events client on `fetch`: it connects at once (as
 * `EventSource` does), sends headers (a function of yours, called before every
 * connect), resumes with `Last-Event-ID`, reconnects with backoff, stops on
 * the answers and final words that mean "for good", and hands on events
 * typed by an event map shared with the server.
 *
 * @example
 * const client = new EventStreamClient<TickerEvents>('/ticks', { headers: () => ({ authorization: `Bearer ${token()}` }) });
 * const off = client.on('tick', (data) => console.log(data.n));
 * const { reason } = await client.closed;
 */
export class EventStreamClient<M extends SseEventMap = Record<string, unknown>> implements AsyncIterable<
  EventStreamMessage<M>
> {
  /** The URL the client connects to, absolute (a relative one is resolved against the page's). */
  readonly url: string;
  /** Resolves once the client stopped for good, with why. It never rejects. */
  readonly closed: Promise<EventStreamClosed>;
  private readonly options: ResolvedClientOptions;
  private current: EventStreamState = 'connecting';
  private lastId: string;
  private serverRetryMs?: number;
  private failures = 0;
  private connection?: Connection;
  private readonly watchdog: Watchdog;
  /** Ends the wait before a reconnect at once (on close). */
  private wakeUp?: () => void;
  private readonly listeners = new ListenerRegistry();
  private readonly queues: EventQueues<EventStreamMessage<M>>;
  private closeInfo?: EventStreamClosed;
  private resolveClosed!: (closed: EventStreamClosed) => void;
  private readonly onAbort = () => this.finish({ reason: 'aborted' });

  /**
   * Connects to `url` at once (a relative URL is resolved against the page's,
   * `globalThis.location`). Throws a TypeError when the URL or an option is
   * wrong (it names the option and the fix).
   */
  constructor(url: string | URL, options: EventStreamClientOptions = {}) {
    this.url = resolveUrl(url);
    this.options = resolveClientOptions(options);
    this.lastId = this.options.lastEventId;
    this.watchdog = new Watchdog(this.options.heartbeatTimeoutMs);
    this.queues = new EventQueues(this.options.maxQueued);
    this.closed = new Promise((resolve) => (this.resolveClosed = resolve));
    const signal = this.options.signal;
    if (signal?.aborted) {
      this.finish({ reason: 'aborted' });
      return;
    }
    signal?.addEventListener('abort', this.onAbort, { once: true });
    void this.run();
  }

  /** Where the client is: `connecting`, `open`, `reconnecting` or `closed`. */
  get state(): EventStreamState {
    return this.current;
  }

  /** The last event id seen (id-only blocks included): what the next connect sends as `Last-Event-ID`. */
  get lastEventId(): string {
    return this.lastId;
  }

  /** Listens to events of type `type` (a name of the event map); returns a function that stops listening. */
  on<K extends SseEventName<M>>(type: K, listener: EventStreamListener<M, K>): () => void {
    return this.listeners.add(`event:${type}`, listener);
  }

  /** Listens to changes of state; returns a function that stops listening. */
  onState(listener: (change: EventStreamStateChange) => void): () => void {
    return this.listeners.add('state', listener);
  }

  /** Listens to errors: those the client recovers from (it reconnects) and the one it stops for. */
  onError(listener: (error: EventStreamError) => void): () => void {
    return this.listeners.add('error', listener);
  }

  /** Listens to the server's final words (`sse-end`), whatever the client does next. */
  onEnd(listener: (end: SseEndData) => void): () => void {
    return this.listeners.add('end', listener);
  }

  /** Listens to the hub's reset event (`sse-reset`): the events since `lastEventId` could not all be replayed. */
  onReset(listener: (data: EventStreamResetEvent['data'], event: EventStreamResetEvent) => void): () => void {
    return this.listeners.add('reset', listener);
  }

  /** Stops for good: aborts the request, clears every timer, ends the async iterators. Idempotent. */
  close(): void {
    this.finish({ reason: 'closed' });
  }

  /**
   * The events of the event map, in order, from now on. Leaving the loop
   * (`break`, `return`, a throw) closes the client, as releasing a stream
   * reader would. The loop ends when the client stops for good, and throws
   * the error it stopped for (a `401`...). While the loop's queue holds
   * `maxQueued` events, the client stops reading the stream.
   */
  [Symbol.asyncIterator](): AsyncIterableIterator<EventStreamMessage<M>> {
    // Events from the first next() on (a `for await` calls it at once): an iterator never iterated holds nothing up.
    return this.queues.create(
      () => this.closeInfo,
      () => this.close(),
    );
  }

  private setState(state: EventStreamState, details: Omit<EventStreamStateChange, 'state' | 'previous'> = {}): void {
    const previous = this.current;
    if (previous === state || previous === 'closed') return;
    this.current = state;
    this.listeners.emit('state', { state, previous, ...details });
  }

  private async run(): Promise<void> {
    while (!this.closeInfo) {
      const next = await this.connect();
      if (!next || this.closeInfo) return;
      // The timer and its wake-up first: a listener below may close the client, which clears it.
      const delayMs = Math.min(MAX_TIMER_MS, next.delayMs);
      const waited = new Promise<void>((wake) => {
        const timer = setTimeout(wake, delayMs);
        this.wakeUp = () => (clearTimeout(timer), wake());
      });
      if (next.error) this.listeners.emit('error', next.error);
      this.setState('reconnecting', { retryInMs: delayMs, end: next.end, error: next.error });
      if (!this.closeInfo) await waited;
      this.wakeUp = undefined;
    }
  }

  /** One connect: resolves to how to reconnect, or `undefined` when the client stopped for good. */
  private async connect(): Promise<Reconnect | undefined> {
    const connection: Connection = { controller: new AbortController(), watchdogFired: false };
    this.connection = connection;
    try {
      let headers: Record<string, string>;
      try {
        headers = await buildRequestHeaders(this.options.headers, this.lastId);
      } catch (cause) {
        return this.failed('headers', cause);
      }
      if (this.closeInfo) return undefined;
      const { method, body, credentials } = this.options;
      const init = { method, headers, body, credentials, cache: 'no-store', signal: connection.controller.signal };
      const wrong = requestError(this.url, init as RequestInit);
      if (wrong) return this.stop({ reason: 'request', error: wrong });
      this.armWatchdog(connection);
      let response: Response;
      try {
        response = await this.options.fetch(this.url, init as RequestInit);
      } catch (cause) {
        return this.closeInfo ? undefined : this.failed(connection.watchdogFired ? 'watchdog' : 'network', cause);
      }
      if (this.closeInfo) return undefined;
      return await this.answer(connection, response);
    } finally {
      this.watchdog.disarm();
      connection.controller.abort();
      if (this.connection === connection) this.connection = undefined;
    }
  }

  private async answer(connection: Connection, response: Response): Promise<Reconnect | undefined> {
    const outcome = await outcomeOfAnswer(response);
    if (this.closeInfo) return undefined;
    if (outcome.action === 'stop') return this.stop(outcome.closed);
    if (outcome.action === 'retry') {
      const delayMs = retryAfterDelay(outcome.retryAfterMs, this.nextBackoff(), this.options.retry);
      return { delayMs, error: retryStatusError(outcome.status, delayMs) };
    }
    this.setState('open');
    return this.read(connection, response);
  }

  /** Reads an open stream to its end, or to the final word. */
  private async read(connection: Connection, response: Response): Promise<Reconnect | undefined> {
    const parser = createEventStreamParser(
      {
        event: (event) => this.dispatch(connection, event),
        id: (id) => void (connection.end === undefined && !this.closeInfo && (this.lastId = id)),
        // Stored at most maxRetryAfterMs: a huge hint (or one that parses to Infinity) would overflow the timer.
        retry: (ms) => void (this.serverRetryMs = Math.min(ms, this.options.retry.maxRetryAfterMs)),
      },
      { maxBufferSize: this.options.maxBufferSize, lastEventId: this.lastId },
    );
    // The parser drops exactly one leading BOM; a default decoder would drop one more.
    const decoder = new TextDecoder('utf-8', { ignoreBOM: true });
    this.armWatchdog(connection); // the head arrived: the countdown starts again for the body
    let failure: unknown;
    try {
      const reader = response.body?.getReader();
      while (reader && !this.closeInfo && connection.end === undefined) {
        await this.roomInQueues(connection);
        if (this.closeInfo) break;
        const { done, value } = await reader.read();
        if (done) break;
        this.armWatchdog(connection);
        parser.feed(decoder.decode(value, { stream: true }));
      }
    } catch (cause) {
      failure = cause;
    }
    if (this.closeInfo) return undefined;
    if (failure instanceof SseParserOverflowError) {
      return this.stop({
        reason: 'overflow',
        error: new EventStreamError('overflow', failure.message, { cause: failure }),
      });
    }
    if (connection.end) return this.afterFinalWord(connection.end);
    if (failure === undefined) return { delayMs: this.nextBackoff() };
    return this.failed(connection.watchdogFired ? 'watchdog' : 'network', failure);
  }

  private dispatch(connection: Connection, parsed: SseParsedEvent): void {
    if (connection.end !== undefined || this.closeInfo) return;
    this.lastId = parsed.lastEventId;
    const { type, id, lastEventId } = parsed;
    if (type === this.options.endEventName) {
      connection.end = finalWordOf(parsed.data);
      this.listeners.emit('end', connection.end);
      return;
    }
    if (type === this.options.resetEventName) {
      const data = resetOf(parsed.data);
      this.listeners.emit('reset', data, { type, data, id, lastEventId });
      return;
    }
    let data: unknown;
    try {
      data = this.options.decode(parsed.data, type);
    } catch (cause) {
      this.listeners.emit('error', decodeError(type, cause));
      return;
    }
    this.failures = 0;
    const message = { type, data, id, lastEventId } as EventStreamMessage<M>;
    this.listeners.emit(`event:${type}`, data, message);
    this.queues.push(message);
  }

  private afterFinalWord(end: SseEndData): Reconnect | undefined {
    const decision = decideOnFinalWord(end.reason);
    if (decision === 'close') {
      this.finish({ reason: end.reason as 'completed' | 'revoked', end });
      return undefined;
    }
    if (decision === 'reconnect') {
      this.failures = 0;
      return { delayMs: backoffDelay(0, this.serverRetryMs, this.options.retry), end };
    }
    const delayMs = this.nextBackoff();
    return { delayMs, end, error: finalWordError(end, delayMs) };
  }

  private failed(code: 'network' | 'watchdog' | 'headers', cause: unknown): Reconnect {
    const delayMs = this.nextBackoff();
    return { delayMs, error: failureError(code, cause, delayMs, this.options.heartbeatTimeoutMs) };
  }

  private nextBackoff(): number {
    return backoffDelay(this.failures++, this.serverRetryMs, this.options.retry);
  }

  private armWatchdog(connection: Connection): void {
    if (this.closeInfo) return;
    this.watchdog.arm(() => {
      connection.watchdogFired = true;
      connection.controller.abort();
    });
  }

  /** Waits while an async iterator's queue is full; the watchdog sleeps meanwhile (nothing is read). */
  private async roomInQueues(connection: Connection): Promise<void> {
    if (!this.queues.full) return;
    this.watchdog.disarm();
    while (this.queues.full && !this.closeInfo) await this.queues.room();
    this.armWatchdog(connection);
  }

  /** Reports the error of a stop for good, if any, and stops. */
  private stop(closed: EventStreamClosed): undefined {
    if (closed.error) this.listeners.emit('error', closed.error);
    this.finish(closed);
    return undefined;
  }

  private finish(closed: EventStreamClosed): void {
    if (this.closeInfo) return;
    this.closeInfo = closed;
    this.options.signal?.removeEventListener('abort', this.onAbort);
    this.watchdog.disarm();
    this.connection?.controller.abort();
    this.wakeUp?.();
    this.setState('closed', { error: closed.error });
    this.queues.end(closed.error);
    this.resolveClosed(closed);
  }
}
