import {
  createEventStreamParser,
  SseParserOverflowError,
  type SseParsedEvent,
} from '../protocol/event-stream-parser.js';
import type { SseEndData } from '../protocol/final-word.js';
import type { SseEventMap, SseEventName } from '../protocol/sse-event-map.js';
import { backoffDelay, retryAfterDelay } from './backoff.js';
import { ClientMessages } from './client.messages.js';
import { resolveClientOptions, type EventStreamClientOptions, type ResolvedClientOptions } from './client-options.js';
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
import { EventQueue } from './event-queue.js';
import { ListenerRegistry } from './listener-registry.js';
import {
  decodeError,
  failureError,
  finalWordError,
  finalWordOf,
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
export class EventStreamClient<M extends SseEventMap> implements AsyncIterable<EventStreamMessage<M>> {
  /** The URL the client connects to. */
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
  private roomWaiters: (() => void)[] = [];
  private readonly listeners = new ListenerRegistry();
  private readonly queues = new Set<EventQueue<EventStreamMessage<M>>>();
  private closeInfo?: EventStreamClosed;
  private resolveClosed!: (closed: EventStreamClosed) => void;
  private readonly onAbort = () => this.finish({ reason: 'aborted' });

  /** Connects to `url` at once. Throws a TypeError when an option is wrong (it names the option and the fix). */
  constructor(url: string | URL, options: EventStreamClientOptions = {}) {
    if (typeof url !== 'string' && !(url instanceof URL)) throw new TypeError(ClientMessages.badUrl(url));
    this.url = String(url);
    this.options = resolveClientOptions(options);
    this.lastId = this.options.lastEventId;
    this.watchdog = new Watchdog(this.options.heartbeatTimeoutMs);
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
    const queue: EventQueue<EventStreamMessage<M>> = new EventQueue(
      () => this.wakeReaders(),
      () => {
        this.queues.delete(queue);
        this.close();
      },
    );
    if (this.closeInfo) queue.end(this.closeInfo.error);
    else this.queues.add(queue);
    return queue;
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
      if (next.error) this.listeners.emit('error', next.error);
      this.setState('reconnecting', { retryInMs: next.delayMs, end: next.end, error: next.error });
      await new Promise<void>((wake) => {
        const timer = setTimeout(wake, next.delayMs);
        this.wakeUp = () => (clearTimeout(timer), wake());
      });
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
      this.armWatchdog(connection);
      let response: Response;
      try {
        response = await this.options.fetch(this.url, {
          method: this.options.method,
          headers,
          body: this.options.body,
          credentials: this.options.credentials,
          cache: 'no-store',
          signal: connection.controller.signal,
        } as RequestInit);
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
    if (outcome.action === 'stop') {
      if (outcome.closed.error) this.listeners.emit('error', outcome.closed.error);
      this.finish(outcome.closed);
      return undefined;
    }
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
        id: (id) => void (connection.end === undefined && (this.lastId = id)),
        retry: (ms) => void (this.serverRetryMs = ms),
      },
      { maxBufferSize: this.options.maxBufferSize, lastEventId: this.lastId },
    );
    const decoder = new TextDecoder();
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
      const error = new EventStreamError('overflow', failure.message, { cause: failure });
      this.listeners.emit('error', error);
      this.finish({ reason: 'overflow', error });
      return undefined;
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
    for (const queue of this.queues) queue.push(message);
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
    if (!this.queuesFull()) return;
    this.watchdog.disarm();
    while (this.queuesFull() && !this.closeInfo) await new Promise<void>((wake) => this.roomWaiters.push(wake));
    this.armWatchdog(connection);
  }

  private queuesFull(): boolean {
    for (const queue of this.queues) if (queue.size >= this.options.maxQueued) return true;
    return false;
  }

  private wakeReaders(): void {
    if (this.roomWaiters.length === 0 || this.queuesFull()) return;
    for (const wake of this.roomWaiters.splice(0)) wake();
  }

  private finish(closed: EventStreamClosed): void {
    if (this.closeInfo) return;
    this.closeInfo = closed;
    this.options.signal?.removeEventListener('abort', this.onAbort);
    this.watchdog.disarm();
    this.connection?.controller.abort();
    this.wakeUp?.();
    for (const wake of this.roomWaiters.splice(0)) wake();
    this.setState('closed', { error: closed.error });
    for (const queue of this.queues) queue.end(closed.error);
    this.queues.clear();
    this.resolveClosed(closed);
  }
}
