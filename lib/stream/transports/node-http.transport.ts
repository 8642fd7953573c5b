import type { IncomingMessage, ServerResponse } from 'node:http';
import type { Http2ServerResponse } from 'node:http2';
import type { SseRequest } from '../sse-client.interface.js';
import type { SseChunk, SseTransport, SseTransportSink } from './sse-transport.interface.js';

/**
 * A Node response: `http.ServerResponse` (HTTP/1.1: Express, Fastify), or
 * `http2.Http2ServerResponse` (Node's HTTP/2 compatibility API: Fastify with
 * `http2: true`). Both report what they hold for the client in
 * `writableLength` (on HTTP/2, the stream's buffer, bounded by its flow
 * control window) and emit `drain` and `close` (on HTTP/2 also for a
 * `RST_STREAM` or the end of the session).
 */
export type NodeResponse = ServerResponse | Http2ServerResponse;

/** Where a response keeps its sink, so that one shared listener serves every stream. */
const SINK = Symbol('nestjs-event-stream.sink');
type SinkResponse = NodeResponse & { [SINK]?: SseTransportSink };

function onClose(this: SinkResponse): void {
  this.removeListener('drain', onDrain);
  this[SINK]?.handleClose();
}

function onDrain(this: SinkResponse): void {
  this[SINK]?.handleDrain();
}

/** Whether `response` is a Node response (HTTP/1.1 or HTTP/2) that `NodeHttpTransport` can serve. */
export function isNodeResponse(response: unknown): response is NodeResponse {
  const candidate = response as Partial<ServerResponse> | null;
  return (
    typeof candidate === 'object' &&
    candidate !== null &&
    typeof candidate.writeHead === 'function' &&
    typeof candidate.write === 'function' &&
    typeof (candidate as Partial<IncomingMessage>).on === 'function'
  );
}

/** Whether `response` answers an HTTP/2 request: no connection-specific headers there (Node refuses them). */
export function isHttp2Response(response: NodeResponse): response is Http2ServerResponse {
  return (response as Partial<Http2ServerResponse>).stream !== undefined;
}

/** Whether the client has gone already: the socket, or on HTTP/2 the stream, is destroyed. */
function isGone(response: NodeResponse): boolean {
  if (isHttp2Response(response)) return response.stream.destroyed || response.stream.closed;
  return response.destroyed || response.socket?.destroyed === true;
}

/** Headers an app or a middleware may have set that HTTP/2 forbids (RFC 9113, 8.2.2). */
const HTTP2_FORBIDDEN_HEADERS = ['connection', 'keep-alive', 'proxy-connection', 'transfer-encoding', 'upgrade', 'te'];

/** Connection-specific headers are forbidden on HTTP/2: Node would throw at the first write, after the headers. */
function dropHttp2ForbiddenHeaders(response: NodeResponse): void {
  for (const name of HTTP2_FORBIDDEN_HEADERS) response.removeHeader(name);
}

/**
 * Sets the status and headers of an event stream, keeping the headers the app
 * set (CORS, `@Header()`). `no-transform` also keeps the `compression`
 * middleware from buffering the stream. `Connection: keep-alive` only on
 * HTTP/1.1, where the client did not ask to close (never on HTTP/2).
 */
function setEventStreamHeaders(request: SseRequest, response: NodeResponse, status: number): void {
  response.statusCode = status;
  response.setHeader('Content-Type', 'text/event-stream; charset=utf-8');
  response.setHeader('Cache-Control', 'no-cache, no-transform');
  response.setHeader('X-Accel-Buffering', 'no');
  // The Node request, whatever the platform's request object is (Fastify's has no `httpVersion`).
  const incoming: SseRequest = response.req ?? request;
  if (isHttp2Response(response)) {
    dropHttp2ForbiddenHeaders(response);
  } else if (incoming.httpVersion === '1.1' && !/\bclose\b/i.test(String(incoming.headers.connection ?? ''))) {
    response.setHeader('Connection', 'keep-alive');
  }
  response.removeHeader('Content-Length');
  response.removeHeader('ETag');
}

/**
 * A Node response (what Express hands to a route, and what Fastify's reply
 * wraps) as a stream transport, over HTTP/1.1 or HTTP/2.
 */
export class NodeHttpTransport implements SseTransport {
  constructor(protected readonly response: NodeResponse) {}

  attach(sink: SseTransportSink): void {
    (this.response as SinkResponse)[SINK] = sink;
    this.response.once('close', onClose);
    // The client may have gone while guards ran: 'close' has fired already, and would never reach the sink.
    if (isGone(this.response)) process.nextTick(() => sink.handleClose());
  }

  get statusCode(): number {
    return this.response.statusCode;
  }

  get backlog(): number {
    return this.response.writableLength;
  }

  /**
   * Called once before the first byte is written (the stream opens, a 204,
   * a `HEAD` answer): where a platform that would answer the request itself
   * after the handler is told not to.
   */
  protected claim(): void {}

  open(request: SseRequest, status: number): void {
    this.claim();
    setEventStreamHeaders(request, this.response, status);
  }

  write(chunk: SseChunk): boolean {
    // Both kinds of response take a string or a Buffer; their `write` overloads just differ in type.
    const flushed = (this.response as ServerResponse).write(chunk);
    if (!flushed) this.response.once('drain', onDrain);
    return flushed;
  }

  end(chunk?: SseChunk): void {
    this.response.removeListener('drain', onDrain);
    if (chunk === undefined || chunk.length === 0) this.response.end();
    else this.response.end(chunk);
  }

  destroy(): void {
    this.response.destroy();
  }

  noContent(): void {
    this.claim();
    if (isHttp2Response(this.response)) dropHttp2ForbiddenHeaders(this.response);
    this.response.statusCode = 204;
    this.response.end();
  }

  head(request: SseRequest, status: number): void {
    this.claim();
    setEventStreamHeaders(request, this.response, status);
    this.response.end();
  }

  setHeader(name: string, value: string): void {
    this.response.setHeader(name, value);
  }
}
