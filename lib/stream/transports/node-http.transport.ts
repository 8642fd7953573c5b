import type { IncomingMessage, ServerResponse } from 'node:http';
import type { SseRequest } from '../sse-client.interface.js';
import type { SseChunk, SseTransport, SseTransportSink } from './sse-transport.interface.js';

/** Where a response keeps its sink, so that one shared listener serves every stream. */
const SINK = Symbol('nestjs-event-stream.sink');
type SinkResponse = ServerResponse & { [SINK]?: SseTransportSink };

function onClose(this: SinkResponse): void {
  this.removeListener('drain', onDrain);
  this[SINK]?.handleClose();
}

function onDrain(this: SinkResponse): void {
  this[SINK]?.handleDrain();
}

/**
 * Sets the status and headers of an event stream, keeping the headers the app
 * set (CORS, `@Header()`). `no-transform` also keeps the `compression`
 * middleware from buffering the stream. `Connection: keep-alive` only on
 * HTTP/1.1, where the client did not ask to close.
 */
function setEventStreamHeaders(request: SseRequest, response: ServerResponse, status: number): void {
  response.statusCode = status;
  response.setHeader('Content-Type', 'text/event-stream; charset=utf-8');
  response.setHeader('Cache-Control', 'no-cache, no-transform');
  response.setHeader('X-Accel-Buffering', 'no');
  if (request.httpVersion === '1.1' && !/\bclose\b/i.test(String(request.headers.connection ?? ''))) {
    response.setHeader('Connection', 'keep-alive');
  }
  response.removeHeader('Content-Length');
  response.removeHeader('ETag');
}

/** Node's `http.ServerResponse` (what Express hands to a route) as a stream transport. */
export class NodeHttpTransport implements SseTransport {
  constructor(private readonly response: ServerResponse) {}

  /** Whether `response` is a Node response this transport can serve. */
  static accepts(response: unknown): response is ServerResponse {
    const candidate = response as Partial<ServerResponse> | null;
    return (
      typeof candidate === 'object' &&
      candidate !== null &&
      typeof candidate.writeHead === 'function' &&
      typeof candidate.write === 'function' &&
      typeof (candidate as Partial<IncomingMessage>).on === 'function'
    );
  }

  attach(sink: SseTransportSink): void {
    (this.response as SinkResponse)[SINK] = sink;
    this.response.once('close', onClose);
    // The client may have gone while guards ran: 'close' has fired already, and would never reach the sink.
    if (this.response.destroyed || this.response.socket?.destroyed) process.nextTick(() => sink.handleClose());
  }

  get statusCode(): number {
    return this.response.statusCode;
  }

  get backlog(): number {
    return this.response.writableLength;
  }

  open(request: SseRequest, status: number): void {
    setEventStreamHeaders(request, this.response, status);
  }

  write(chunk: SseChunk): boolean {
    const flushed = this.response.write(chunk);
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
    this.response.statusCode = 204;
    this.response.end();
  }

  head(request: SseRequest, status: number): void {
    setEventStreamHeaders(request, this.response, status);
    this.response.end();
  }

  setHeader(name: string, value: string): void {
    this.response.setHeader(name, value);
  }
}
