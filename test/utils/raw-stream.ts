import http, { type IncomingHttpHeaders } from 'node:http';
import http2 from 'node:http2';
import type { Readable } from 'node:stream';
import { createParser, type EventSourceMessage } from 'eventsource-parser';
import { isH2cUrl } from './test-app.js';

/** A stream read with a plain HTTP request: the status, headers, exact bytes and parsed events. */
export interface RawStream {
  status: number;
  headers: IncomingHttpHeaders;
  /** Every byte of the body received so far, as text. */
  readonly text: string;
  readonly events: EventSourceMessage[];
  readonly comments: string[];
  readonly retries: number[];
  /** Resolves once the body has ended (the server closed the stream). */
  readonly ended: Promise<void>;
  /** Resolves when at least `count` events arrived. */
  waitForEvents(count: number): Promise<EventSourceMessage[]>;
  /** Resolves when the body text satisfies `predicate`. */
  waitForText(predicate: (text: string) => boolean): Promise<string>;
  close(): void;
}

export interface RawStreamOptions {
  method?: string;
  headers?: Record<string, string>;
  body?: string;
}

/** A response as the raw reader sees it, over HTTP/1.1 or HTTP/2. */
interface RawResponse {
  status: number;
  headers: IncomingHttpHeaders;
  body: Readable;
  close(): void;
}

function requestHttp1(url: string, options: RawStreamOptions): Promise<RawResponse> {
  return new Promise((resolve, reject) => {
    const request = http.request(url, { method: options.method ?? 'GET', headers: options.headers, agent: false });
    request.on('error', reject);
    request.on('response', (response) =>
      resolve({
        status: response.statusCode ?? 0,
        headers: response.headers,
        body: response,
        close: () => request.destroy(),
      }),
    );
    if (options.body !== undefined) request.write(options.body);
    request.end();
  });
}

/** Over cleartext HTTP/2 with prior knowledge: one session per stream, closed with it. */
function requestHttp2(url: string, options: RawStreamOptions): Promise<RawResponse> {
  return new Promise((resolve, reject) => {
    const target = new URL(url);
    const session = http2.connect(target.origin);
    session.on('error', reject);
    // Surrounding whitespace is not part of a field value (an HTTP/1.1 server drops it; HTTP/2 forbids sending it).
    const headers = Object.fromEntries(
      Object.entries(options.headers ?? {}).map(([name, value]) => [name, value.trim()]),
    );
    const stream = session.request({
      ...headers,
      ':method': options.method ?? 'GET',
      ':path': `${target.pathname}${target.search}`,
    });
    stream.on('error', reject);
    stream.on('close', () => {
      session.close();
      reject(new Error(`the HTTP/2 stream closed before a response (code ${stream.rstCode})`));
    });
    stream.on('response', (head) => {
      const headers: IncomingHttpHeaders = {};
      for (const [name, value] of Object.entries(head)) if (!name.startsWith(':')) headers[name] = value;
      resolve({
        status: Number(head[':status']),
        headers,
        body: stream,
        close: () => {
          stream.close(http2.constants.NGHTTP2_CANCEL);
          session.close();
        },
      });
    });
    if (options.body !== undefined) stream.write(options.body);
    stream.end();
  });
}

/**
 * Opens `url` and reads it as an event stream (also when it is not one: check
 * `status`). Speaks HTTP/2 to a test app that listens with cleartext HTTP/2.
 */
export async function openRawStream(url: string, options: RawStreamOptions = {}): Promise<RawStream> {
  const response = await (isH2cUrl(url) ? requestHttp2(url, options) : requestHttp1(url, options));
  const { body } = response;
  body.setEncoding('utf8');
  let text = '';
  const events: EventSourceMessage[] = [];
  const comments: string[] = [];
  const retries: number[] = [];
  const waiters = new Set<() => void>();
  const notify = () => waiters.forEach((check) => check());
  const parser = createParser({
    onEvent: (event) => events.push(event),
    onComment: (comment) => comments.push(comment),
    onRetry: (retry) => retries.push(retry),
  });
  // Over once the body has ended and every byte of it was read (or it was torn down).
  let over = false;
  const ended = new Promise<void>((resolveEnd) => {
    const finish = () => {
      over = true;
      resolveEnd();
      notify();
    };
    body.on('end', finish);
    body.on('close', finish);
  });
  body.on('error', () => undefined);
  body.on('data', (chunk: string) => {
    text += chunk;
    parser.feed(chunk);
    notify();
  });
  const waitUntil = <T>(ready: () => T | undefined, what: string): Promise<T> =>
    new Promise((resolveWait, rejectWait) => {
      const check = () => {
        const value = ready();
        if (value !== undefined) {
          waiters.delete(check);
          resolveWait(value);
        } else if (over) {
          waiters.delete(check);
          rejectWait(new Error(`stream ended before ${what}; got: ${JSON.stringify(text.slice(-500))}`));
        }
      };
      waiters.add(check);
      check();
    });
  return {
    status: response.status,
    headers: response.headers,
    get text() {
      return text;
    },
    events,
    comments,
    retries,
    ended,
    waitForEvents: (count) =>
      waitUntil(() => (events.length >= count ? events.slice() : undefined), `${count} events (had ${events.length})`),
    waitForText: (predicate) => waitUntil(() => (predicate(text) ? text : undefined), 'the expected text'),
    close: () => response.close(),
  };
}
