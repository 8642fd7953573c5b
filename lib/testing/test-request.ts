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

function requestHttp1(init: TestRequestInit): Promise<TestResponse> {
  return new Promise((resolve, reject) => {
    const send = init.url.protocol === 'https:' ? https.request : http.request;
    // A socket of its own (no agent): closing the stream closes it, and nothing is pooled after the test.
    const request = send(init.url, {
      method: init.method,
      headers: init.headers,
      agent: false,
      ...(tlsOptions(init) as https.RequestOptions),
    });
    const timer = setTimeout(() => {
      request.destroy();
      reject(new Error(TESTING_MESSAGES.noResponse(describeRequest(init), init.timeoutMs)));
    }, init.timeoutMs);
    request.on('error', (error) => {
      clearTimeout(timer);
      reject(new Error(TESTING_MESSAGES.requestFailed(describeRequest(init), error), { cause: error }));
    });
    request.on('response', (response) => {
      clearTimeout(timer);
      // The socket goes with the response: once the body is over, nothing of this request stays open.
      response.on('close', () => request.destroy());
      resolve({
        status: response.statusCode ?? 0,
        headers: response.headers,
        body: response,
        close: () => request.destroy(),
      });
    });
    if (init.body !== undefined) request.write(init.body);
    request.end();
  });
}

/** One session per stream, closed with it. */
function requestHttp2(init: TestRequestInit): Promise<TestResponse> {
  return new Promise((resolve, reject) => {
    const session = http2.connect(init.url.origin, tlsOptions(init));
    let responded = false;
    const fail = (error: Error) => {
      clearTimeout(timer);
      session.destroy();
      reject(error);
    };
    const timer = setTimeout(
      () => fail(new Error(TESTING_MESSAGES.noResponse(describeRequest(init), init.timeoutMs))),
      init.timeoutMs,
    );
    session.on('error', (error) => {
      if (!responded) fail(new Error(TESTING_MESSAGES.requestFailed(describeRequest(init), error), { cause: error }));
    });
    // Surrounding whitespace is not part of a field value (an HTTP/1.1 server drops it; HTTP/2 forbids sending it).
    const headers = Object.fromEntries(Object.entries(init.headers).map(([name, value]) => [name, value.trim()]));
    const stream = session.request({
      ...headers,
      ':method': init.method,
      ':path': `${init.url.pathname}${init.url.search}`,
    });
    stream.on('error', (error) => {
      if (!responded) fail(new Error(TESTING_MESSAGES.requestFailed(describeRequest(init), error), { cause: error }));
    });
    stream.on('close', () => {
      session.close();
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
          session.close();
        },
      });
    });
    if (init.body !== undefined) stream.write(init.body);
    stream.end();
  });
}
