import http2 from 'node:http2';
import { Readable } from 'node:stream';

/** Statuses whose response has no body (a `Response` refuses one). */
const NULL_BODY = new Set([101, 103, 204, 205, 304]);

function urlOf(input: string | URL | Request): URL {
  return new URL(typeof input === 'string' || input instanceof URL ? input : input.url);
}

/**
 * `fetch` over cleartext HTTP/2 with prior knowledge (undici's `fetch` speaks
 * HTTP/1.1 to an `http:` URL): one session per request, closed with it. Enough
 * for what the tests send: a method, headers, a text body, an abort signal
 * (what the `eventsource` client uses to close).
 */
export function h2cFetch(input: string | URL | Request, init: RequestInit = {}): Promise<Response> {
  const url = urlOf(input);
  const signal = init.signal ?? (input instanceof Request ? input.signal : undefined);
  return new Promise((resolve, reject) => {
    if (signal?.aborted) return reject(signal.reason);
    const session = http2.connect(url.origin);
    session.on('error', reject);
    const headers: http2.OutgoingHttpHeaders = {
      ':method': init.method ?? (input instanceof Request ? input.method : 'GET'),
      ':path': `${url.pathname}${url.search}`,
    };
    new Headers(init.headers).forEach((value, name) => {
      if (name !== 'connection' && name !== 'host') headers[name] = value.trim();
    });
    const stream = session.request(headers);
    const abort = () => {
      stream.destroy(signal?.reason instanceof Error ? signal.reason : undefined);
      session.destroy();
      reject(signal?.reason);
    };
    signal?.addEventListener('abort', abort, { once: true });
    stream.on('error', reject);
    stream.on('close', () => {
      signal?.removeEventListener('abort', abort);
      session.close();
    });
    stream.on('response', (head) => {
      const status = Number(head[':status']);
      const responseHeaders = new Headers();
      for (const [name, value] of Object.entries(head)) {
        if (name.startsWith(':') || value === undefined) continue;
        for (const one of Array.isArray(value) ? value : [value]) responseHeaders.append(name, String(one));
      }
      const body = NULL_BODY.has(status) || headers[':method'] === 'HEAD' ? null : Readable.toWeb(stream);
      if (body === null) stream.resume();
      resolve(new Response(body as ReadableStream | null, { status, headers: responseHeaders }));
    });
    if (typeof init.body === 'string') stream.end(init.body);
    else stream.end();
  });
}
