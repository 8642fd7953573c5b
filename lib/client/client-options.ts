import { ClientMessages } from './client.messages.js';
import { DEFAULT_BACKOFF, MAX_TIMER_MS, type BackoffSettings } from './backoff.js';

/** Header names and values: a plain object or a `Headers`. */
export type EventStreamHeaderValues = Readonly<Record<string, string>> | Headers;

/** The headers of a connect: an object or a `Headers`, or a function (sync or async) returning one, called before every connect. */
export type EventStreamHeaders =
  EventStreamHeaderValues | (() => EventStreamHeaderValues | Promise<EventStreamHeaderValues>);

/** How event data is decoded: JSON (default), the text as it came, or a function of yours. */
export type EventStreamDecode = 'json' | 'text' | ((data: string, type: string) => unknown);

/** The `fetch` the client calls: `globalThis.fetch` or one of the same shape. */
export type EventStreamFetch = (input: string, init: RequestInit) => Promise<Response>;

/** The options of `new EventStreamClient(url, options)` / `connectEventStream(url, options)`. */
export interface EventStreamClientOptions {
  /** The `fetch` to use. Default `globalThis.fetch`. */
  fetch?: EventStreamFetch;
  /**
   * Request headers (an object or a `Headers`), or a function (sync or async) that returns them, called
   * before every connect, so that a reconnect after `auth-expired` sends a
   * fresh token. `Accept` and `Last-Event-ID` are the client's. Default none.
   */
  headers?: EventStreamHeaders;
  /** The request method. Default `'GET'`; `'POST'` with a `body`. */
  method?: string;
  /** The body of every connect (sent again on each reconnect: a string, `URLSearchParams`, `Blob`...; not a stream). Default none. */
  body?: RequestInit['body'];
  /** The fetch `credentials` mode (`'include'` for cookies of another origin). Default the fetch's own (`'same-origin'`). */
  credentials?: RequestInit['credentials'];
  /** The last event id to start from: sent as `Last-Event-ID` on the first connect too. Default none. */
  lastEventId?: string;
  /** Aborting it closes the client for good (`closed` resolves with reason `'aborted'`). */
  signal?: AbortSignal;
  /** How the data of events is decoded. Default `'json'` (`''` decodes to `undefined`). */
  decode?: EventStreamDecode;
  /** The reconnection backoff, see {@link BackoffSettings}. Every field is optional. */
  retry?: Partial<BackoffSettings>;
  /**
   * The watchdog: when nothing at all (not even a heartbeat comment) arrives
   * for `timeoutMs`, the connection is aborted and reopened. Default
   * `{ timeoutMs: 35000 }` (twice the server's default 15 s heartbeat, plus
   * 5 s); `0` turns it off (for a server that sends no heartbeats).
   */
  heartbeat?: { timeoutMs?: number };
  /** The longest line or event the parser holds, in characters. Default 16 MiB worth (16,777,216). */
  maxBufferSize?: number;
  /**
   * Events an async iterator holds before the client stops reading the
   * stream until the loop catches up (backpressure). Default 1000.
   */
  maxQueued?: number;
  /** The name of the server's final word. Default `'sse-end'` (the server's `endEventName`). */
  endEventName?: string;
  /** The name of the hub's reset event. Default `'sse-reset'` (the server's `resetEventName`). */
  resetEventName?: string;
}

/** The options with every default applied and checked. */
export interface ResolvedClientOptions {
  readonly fetch: EventStreamFetch;
  readonly headers: EventStreamHeaders | undefined;
  readonly method: string;
  readonly body: RequestInit['body'] | undefined;
  readonly credentials: RequestInit['credentials'] | undefined;
  readonly lastEventId: string;
  readonly signal: AbortSignal | undefined;
  readonly decode: (data: string, type: string) => unknown;
  readonly retry: BackoffSettings;
  readonly heartbeatTimeoutMs: number;
  readonly maxBufferSize: number | undefined;
  readonly maxQueued: number;
  readonly endEventName: string;
  readonly resetEventName: string;
}

/** The default watchdog timeout: twice the server's default heartbeat (15 s), plus 5 s. */
export const DEFAULT_HEARTBEAT_TIMEOUT_MS = 2 * 15_000 + 5_000;
/** The default bound of an async iterator's queue. */
export const DEFAULT_MAX_QUEUED = 1000;

/** Decodes JSON data; `''` (an empty `data:` line) is `undefined`. */
export function decodeJson(data: string): unknown {
  return data === '' ? undefined : JSON.parse(data);
}

/**
 * `url` as an absolute URL: a relative one is resolved against the page's
 * (`globalThis.location`); with no page (Node) it throws a TypeError, as a
 * wrong option does, instead of failing as a network error on every connect.
 */
export function resolveUrl(url: unknown): string {
  if (typeof url !== 'string' && !(url instanceof URL)) throw new TypeError(ClientMessages.badUrl(url));
  const base = (globalThis as { location?: { href?: unknown } }).location?.href;
  try {
    return new URL(String(url), typeof base === 'string' ? base : undefined).href;
  } catch {
    throw new TypeError(
      typeof base === 'string' ? ClientMessages.badUrl(String(url)) : ClientMessages.relativeUrl(String(url)),
    );
  }
}

/** Applies the defaults to `options` and checks every one; throws a TypeError naming the option and the fix. */
export function resolveClientOptions(options: EventStreamClientOptions = {}): ResolvedClientOptions {
  const fetchFn = options.fetch ?? (globalThis.fetch as EventStreamFetch | undefined)?.bind(globalThis);
  if (typeof fetchFn !== 'function') throw new TypeError(ClientMessages.noFetch());
  const headers = options.headers;
  if (
    headers !== undefined &&
    typeof headers !== 'function' &&
    (headers === null || typeof headers !== 'object' || Array.isArray(headers))
  ) {
    throw new TypeError(
      ClientMessages.badOption('headers', headers, 'an object, a Headers or a function returning one'),
    );
  }
  const method = (options.method ?? 'GET').toUpperCase();
  if (!/^[A-Z]+$/.test(method))
    throw new TypeError(ClientMessages.badOption('method', options.method, 'an HTTP method'));
  if (options.body != null && (method === 'GET' || method === 'HEAD'))
    throw new TypeError(ClientMessages.bodyWithGet());
  if (isStream(options.body)) throw new TypeError(ClientMessages.streamBody());
  const lastEventId = options.lastEventId ?? '';
  if (typeof lastEventId !== 'string' || /[\r\n\0]/.test(lastEventId)) {
    throw new TypeError(ClientMessages.badOption('lastEventId', lastEventId, 'a string without CR, LF or NUL'));
  }
  return {
    fetch: fetchFn,
    headers,
    method,
    body: options.body ?? undefined,
    credentials: options.credentials,
    lastEventId,
    signal: options.signal,
    decode: resolveDecode(options.decode),
    retry: resolveRetry(options.retry ?? {}),
    heartbeatTimeoutMs: int('heartbeat.timeoutMs', options.heartbeat?.timeoutMs ?? DEFAULT_HEARTBEAT_TIMEOUT_MS, 0),
    maxBufferSize: options.maxBufferSize === undefined ? undefined : int('maxBufferSize', options.maxBufferSize, 1),
    maxQueued: int('maxQueued', options.maxQueued ?? DEFAULT_MAX_QUEUED, 1),
    endEventName: name('endEventName', options.endEventName ?? 'sse-end'),
    resetEventName: name('resetEventName', options.resetEventName ?? 'sse-reset'),
  };
}

function resolveDecode(decode: EventStreamDecode | undefined): (data: string, type: string) => unknown {
  if (decode === undefined || decode === 'json') return decodeJson;
  if (decode === 'text') return (data) => data;
  if (typeof decode === 'function') return decode;
  throw new TypeError(ClientMessages.badOption('decode', decode, "'json', 'text' or a function (data, type) => value"));
}

/** A body that can be read once only (a `ReadableStream`, an async iterable): it cannot be sent again on a reconnect. */
function isStream(body: unknown): boolean {
  if (body === null || typeof body !== 'object') return false;
  return (
    typeof (body as { getReader?: unknown }).getReader === 'function' ||
    typeof (body as { [Symbol.asyncIterator]?: unknown })[Symbol.asyncIterator] === 'function'
  );
}

function resolveRetry(retry: Partial<BackoffSettings>): BackoffSettings {
  const initialMs = int('retry.initialMs', retry.initialMs ?? DEFAULT_BACKOFF.initialMs, 0);
  const settings: BackoffSettings = {
    initialMs,
    // At least initialMs, and at least 1 (a backoff capped at 0 would be no backoff).
    maxMs: int(
      'retry.maxMs',
      retry.maxMs ?? Math.max(DEFAULT_BACKOFF.maxMs, initialMs),
      Math.max(1, initialMs),
      initialMs > 0 ? ' (at least retry.initialMs)' : '',
    ),
    factor: retry.factor ?? DEFAULT_BACKOFF.factor,
    jitter: retry.jitter ?? DEFAULT_BACKOFF.jitter,
    maxRetryAfterMs: int('retry.maxRetryAfterMs', retry.maxRetryAfterMs ?? DEFAULT_BACKOFF.maxRetryAfterMs, 1),
  };
  if (typeof settings.factor !== 'number' || !(settings.factor >= 1) || !Number.isFinite(settings.factor)) {
    throw new TypeError(ClientMessages.badOption('retry.factor', retry.factor, 'a finite number ≥ 1'));
  }
  if (typeof settings.jitter !== 'number' || !(settings.jitter >= 0 && settings.jitter <= 1)) {
    throw new TypeError(ClientMessages.badOption('retry.jitter', retry.jitter, 'a number from 0 to 1'));
  }
  return settings;
}

function int(option: string, value: unknown, min: number, why = ''): number {
  if (typeof value !== 'number' || !Number.isInteger(value) || value < min || value > MAX_TIMER_MS) {
    throw new TypeError(ClientMessages.badOption(option, value, `an integer from ${min} to ${MAX_TIMER_MS}${why}`));
  }
  return value;
}

function name(option: string, value: unknown): string {
  if (typeof value !== 'string' || value === '' || /[\r\n]/.test(value)) {
    throw new TypeError(ClientMessages.badOption(option, value, 'a non-empty event name without CR or LF'));
  }
  return value;
}
