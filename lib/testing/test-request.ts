import http, { type IncomingHttpHeaders } from 'node:http';
import http2 from 'node:http2';
import https from 'node:https';
import type { Readable } from 'node:stream';
import { TESTING_MESSAGES } from './testing.messages.js';

/** How a request goes out: the URL, and whether to speak HTTP/2 (with prior knowledge on `http:`, by ALPN on `https:`). */
export interface TestRequestInit {
  url: URL;
  http2: boolean;
  method: string;
  headers: Record<string, string>;
  body?: string | Uint8Array;
  /** TLS only: certificate authorities to trust, and whether to check the server's certificate at all. */
  ca?: string | Buffer | Array<string | Buffer>;
  rejectUnauthorized?: boolean;
  timeoutMs: number;
}

/** A response with its body still to read, over HTTP/1.1 or HTTP/2. */
export interface TestResponse {
  status: number;
  headers: IncomingHttpHeaders;
  body: Readable;
  /** Tears the request down (idempotent): destroys the socket, or cancels the HTTP/2 stream and closes its session. */
  close(): void;
  /** Once the body is over: why it is no clean end (an HTTP/2 stream reset with an error code), or `undefined`. */
  failure(): Error | undefined;
}

/** `GET http://127.0.0.1:3000/ticks (HTTP/2)`, for messages. */
export function describeRequest(init: TestRequestInit): string {
  return `${init.method} ${init.url.href}${init.http2 ? ' (HTTP/2)' : ''}`;
}

/** Sends the request and resolves with the response head, within `timeoutMs`. */
export function sendTestRequest(init: TestRequestInit): Promise<TestResponse> {
  return init.http2 ? requestHttp2(init) : requestHttp1(init);
}

function tlsOptions(init: TestRequestInit): { ca?: TestRequestInit['ca']; rejectUnauthorized?: boolean } {
  if (init.url.protocol !== 'https:') return {};
  return {
    ...(init.ca !== undefined && { ca: init.ca }),
    ...(init.rejectUnauthorized !== undefined && { rejectUnauthorized: init.rejectUnauthorized }),
  };
}

/** RFC 9110 `token`: a method or a header name. */
const TOKEN = /^[!#$%&'*+\-.^_`|~0-9A-Za-z]+$/;
/** What no protocol can carry in a field value (Node's HTTP/1.1 check): controls but HTAB, DEL, above U+00FF. */
const INVALID_VALUE_CHAR = /[^\t\x20-\x7e\x80-\xff]/;
/** Connection-specific headers, which HTTP/2 forbids (RFC 9113 8.2.2; `te` but `trailers`). */
const HTTP2_FORBIDDEN = new Set([
  'connection',
  'keep-alive',
  'proxy-connection',
  'transfer-encoding',
  'upgrade',
  'http2-settings',
]);

/**
 * Refuses, before anything is opened, what Node would refuse while sending
 * (or, on HTTP/2, drop without a word): the same kit message on every
 * protocol. `option` names the header for the message (`lastEventId` for
 * `last-event-id` when it came from that option).
 */
export function checkTestRequest(
  init: Pick<TestRequestInit, 'method' | 'headers' | 'body' | 'http2'>,
  optionOf: (name: string) => string = (name) => `headers[${JSON.stringify(name)}]`,
): void {
  if (typeof init.method !== 'string' || !TOKEN.test(init.method)) {
    throw new TypeError(TESTING_MESSAGES.badMethod(init.method));
  }
  for (const [name, value] of Object.entries(init.headers)) {
    if (!TOKEN.test(name)) throw new TypeError(TESTING_MESSAGES.badHeaderName(name));
    if (typeof value !== 'string' || INVALID_VALUE_CHAR.test(value)) {
      throw new TypeError(TESTING_MESSAGES.badHeaderValue(optionOf(name), value));
    }
    const lower = name.toLowerCase();
    if (init.http2 && (HTTP2_FORBIDDEN.has(lower) || (lower === 'te' && value.trim().toLowerCase() !== 'trailers'))) {
      throw new TypeError(TESTING_MESSAGES.connectionHeader(name));
    }
  }
  if (init.body !== undefined && typeof init.body !== 'string' && !(init.body instanceof Uint8Array)) {
    throw new TypeError(TESTING_MESSAGES.badBody(init.body));
  }
}

/**
 * Rejects once `closable` has closed (after `destroy`), so that nothing of a
 * failed request is left when the caller sees the failure.
 */
function rejectOnceClosed(
  closable: { once(event: 'close', listener: () => void): unknown },
  closed: () => boolean,
  reject: (error: Error) => void,
  error: Error,
): void {
  if (closed()) reject(error);
  else closable.once('close', () => reject(error));
}

function requestHttp1(init: TestRequestInit): Promise<TestResponse> {
  return new Promise((resolve, reject) => {
    let request: http.ClientRequest | undefined;
    let timer: NodeJS.Timeout | undefined;
    let closed = false;
    let failed = false;
    const fail = (error: Error) => {
      clearTimeout(timer);
      if (failed) return;
      failed = true;
      if (request === undefined) return reject(error);
      request.destroy();
      rejectOnceClosed(request, () => closed, reject, error);
    };
    try {
      const send = init.url.protocol === 'https:' ? https.request : http.request;
      // A socket of its own (no agent): closing the stream closes it, and nothing is pooled after the test.
      request = send(init.url, {
        method: init.method,
        headers: init.headers,
        agent: false,
        ...(tlsOptions(init) as https.RequestOptions),
      });
      const sent = request;
      sent.once('close', () => (closed = true));
      timer = setTimeout(
        () => fail(new Error(TESTING_MESSAGES.noResponse(describeRequest(init), init.timeoutMs))),
        init.timeoutMs,
      );
      sent.on('error', (error) => {
        fail(new Error(TESTING_MESSAGES.requestFailed(describeRequest(init), error), { cause: error }));
      });
      sent.on('response', (response) => {
        clearTimeout(timer);
        // The socket goes with the response: once the body is over, nothing of this request stays open.
        response.on('close', () => sent.destroy());
        resolve({
          status: response.statusCode ?? 0,
          headers: response.headers,
          body: response,
          close: () => sent.destroy(),
          failure: () => undefined,
        });
      });
      if (init.body !== undefined) sent.write(init.body);
      sent.end();
    } catch (error) {
      fail(new Error(TESTING_MESSAGES.requestFailed(describeRequest(init), error), { cause: error }));
    }
  });
}

/** One session per stream, closed with it. */
function requestHttp2(init: TestRequestInit): Promise<TestResponse> {
  return new Promise((resolve, reject) => {
    let session: http2.ClientHttp2Session | undefined;
    let timer: NodeJS.Timeout | undefined;
    let responded = false;
    let failed = false;
    let sessionClosed = false;
    const fail = (error: Error) => {
      clearTimeout(timer);
      if (failed) return;
      failed = true;
      if (session === undefined) return reject(error);
      session.destroy();
      rejectOnceClosed(session, () => sessionClosed, reject, error);
    };
    try {
      const opened = http2.connect(init.url.origin, tlsOptions(init));
      session = opened;
      opened.once('close', () => (sessionClosed = true));
      timer = setTimeout(
        () => fail(new Error(TESTING_MESSAGES.noResponse(describeRequest(init), init.timeoutMs))),
        init.timeoutMs,
      );
      opened.on('error', (error) => {
        if (!responded) fail(new Error(TESTING_MESSAGES.requestFailed(describeRequest(init), error), { cause: error }));
      });
      // Surrounding whitespace is not part of a field value (an HTTP/1.1 server drops it; HTTP/2 forbids sending it).
      const headers = Object.fromEntries(Object.entries(init.headers).map(([name, value]) => [name, value.trim()]));
      const stream = opened.request({
        ...headers,
        ':method': init.method,
        ':path': `${init.url.pathname}${init.url.search}`,
      });
      stream.on('error', (error) => {
        if (!responded) fail(new Error(TESTING_MESSAGES.requestFailed(describeRequest(init), error), { cause: error }));
      });
      stream.on('close', () => {
        opened.close();
        if (!responded)
          fail(new Error(TESTING_MESSAGES.streamResetBeforeResponse(describeRequest(init), stream.rstCode)));
      });
      stream.on('response', (head) => {
        responded = true;
        clearTimeout(timer);
        const responseHeaders: IncomingHttpHeaders = {};
        for (const [name, value] of Object.entries(head)) if (!name.startsWith(':')) responseHeaders[name] = value;
        resolve({
          status: Number(head[':status']),
          headers: responseHeaders,
          body: stream,
          close: () => {
            if (!stream.closed) stream.close(http2.constants.NGHTTP2_CANCEL);
            opened.close();
          },
          failure: () => {
            const code = stream.rstCode;
            return code === undefined || code === http2.constants.NGHTTP2_NO_ERROR
              ? undefined
              : new Error(TESTING_MESSAGES.streamResetDuringBody(code));
          },
        });
      });
      if (init.body !== undefined) stream.write(init.body);
      stream.end();
    } catch (error) {
      fail(new Error(TESTING_MESSAGES.requestFailed(describeRequest(init), error), { cause: error }));
    }
  });
}
