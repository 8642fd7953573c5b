import type { INestApplication } from '@nestjs/common';
import type { SseEventMap } from '../protocol/sse-event-map.js';
import { EventStreamReader } from './event-stream-reader.js';
import type { AnySseEvents, TestEventDecoder, TestEventStream } from './test-event-stream.interface.js';
import { checkTestRequest, sendTestRequest } from './test-request.js';
import { resolveTarget } from './test-target.js';
import { checkTimeoutMs } from './timed-wait.js';
import { TESTING_MESSAGES } from './testing.messages.js';

/** How `openEventStream()` sends its request and reads the answer. Every option is optional. */
export interface OpenEventStreamOptions {
  /** The request method. Default `'GET'`. */
  method?: string;
  /** Request headers (e.g. `Authorization`, `Cookie`, `Content-Type`). Default none. */
  headers?: Record<string, string>;
  /** A request body, sent as is (set its `Content-Type` in `headers`). Default none. */
  body?: string | Uint8Array;
  /** Sent as the `Last-Event-ID` header, as a reconnecting `EventSource` does. Default none. */
  lastEventId?: string;
  /**
   * The deadline of every wait, in milliseconds: the response head, and each
   * `next()`, `take()`, `waitForText()`, `waitForEvents()` and `waitForEnd()`.
   * A wait past it rejects with what it waited for and what arrived. An
   * integer from 1 to 2^31 - 1. Default 5000.
   */
  timeoutMs?: number;
  /** How `next()` and `take()` decode `data`: `'json'`, `'text'` or a function. Default `'json'`. */
  decode?: TestEventDecoder;
  /**
   * Speak HTTP/2 (with prior knowledge on `http:`, ALPN on `https:`). Default:
   * read from the app's server when the target is an app (an HTTP/2 server:
   * yes), `false` when it is a URL string.
   */
  http2?: boolean;
  /** The host to connect to when the target is an app. Default `127.0.0.1` for a wildcard address, else the address. */
  host?: string;
  /** TLS: certificate authorities to trust (e.g. a test's self-signed certificate). Default Node's bundled CAs. */
  ca?: string | Buffer | Array<string | Buffer>;
  /** TLS: `false` accepts any server certificate (tests only). Default `true`. */
  rejectUnauthorized?: boolean;
}

function urlOf(baseUrl: string, path: string): URL {
  const href = path === '' ? baseUrl : `${baseUrl}${path.startsWith('/') ? '' : '/'}${path}`;
  let url: URL;
  try {
    url = new URL(href);
  } catch (error) {
    throw new TypeError(TESTING_MESSAGES.badUrl(href, (error as Error).message));
  }
  if (url.protocol !== 'http:' && url.protocol !== 'https:') {
    throw new TypeError(TESTING_MESSAGES.badUrl(href, `the protocol is ${url.protocol}`));
  }
  return url;
}

/**
 * Opens `path` on a running app and reads the answer as an event stream (also
 * when it is not one: check `status`). Resolves once the response head
 * arrived, with a {@link TestEventStream} typed by the event map `M`.
 *
 * `target` is a listening `INestApplication` (after `await app.listen(0)`):
 * its address and protocol are read from `app.getHttpServer()` (node:http:
 * HTTP/1.1; an HTTP/2 server, as Fastify's with `http2: true`: HTTP/2 with
 * prior knowledge; a TLS server: `https:`). Or a base URL string such as
 * `'http://127.0.0.1:3000'` (with `http2: true` for an HTTP/2-only server).
 *
 * @example
 * const stream = await openEventStream<TickerEvents>(app, '/ticks', { lastEventId: '3' });
 * const tick = await stream.next('tick'); // tick.data is TickerEvents['tick']
 * stream.close();
 */
export async function openEventStream<M extends SseEventMap = AnySseEvents>(
  target: INestApplication | string,
  path = '',
  options: OpenEventStreamOptions = {},
): Promise<TestEventStream<M>> {
  const timeoutMs = checkTimeoutMs('openEventStream()', options.timeoutMs);
  const resolved = resolveTarget(target, options);
  const headers = { ...options.headers };
  if (options.lastEventId !== undefined) headers['last-event-id'] = options.lastEventId;
  const request = {
    url: urlOf(resolved.baseUrl, path),
    http2: resolved.http2,
    method: options.method ?? 'GET',
    headers,
    body: options.body,
    ca: options.ca,
    rejectUnauthorized: options.rejectUnauthorized,
    timeoutMs,
  };
  // Before anything is opened: what Node would refuse (or drop on HTTP/2) is refused alike on every protocol.
  checkTestRequest(request, (name) =>
    name === 'last-event-id' && options.lastEventId !== undefined ? 'lastEventId' : `headers[${JSON.stringify(name)}]`,
  );
  const response = await sendTestRequest(request);
  return new EventStreamReader<M>(response, timeoutMs, options.decode ?? 'json');
}
