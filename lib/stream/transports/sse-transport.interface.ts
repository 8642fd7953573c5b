import type { SseRequest } from '../sse-client.interface.js';

/** A complete frame, or several: text, or bytes encoded once and shared by every stream it goes to. */
export type SseChunk = string | Buffer;

/** What a transport tells the stream that owns it. */
export interface SseTransportSink {
  /** What was held for the client has been taken: writing may go on. */
  handleDrain(): void;
  /** The response is over, whoever ended it. Called once. */
  handleClose(): void;
}

/**
 * The platform's response, as one stream uses it: the seam between the
 * stream layer and a platform. `node-http.transport.ts` serves a Node
 * response (`http.ServerResponse` for Express, `http2.Http2ServerResponse`
 * for HTTP/2), `fastify-reply.transport.ts` a Fastify reply around one;
 * another platform is one more implementation of these few members.
 */
export interface SseTransport {
  /** Calls `sink` on drain and on close, from now on. */
  attach(sink: SseTransportSink): void;
  /** The status set so far (by the app, an interceptor or the router). */
  readonly statusCode: number;
  /** Sends the status and the event-stream headers, keeping the headers the app set. */
  open(request: SseRequest, status: number): void;
  /** Writes a chunk; `false` when the platform holds it for a slow client (a drain follows). */
  write(chunk: SseChunk): boolean;
  /** Bytes written and not yet taken by the client. */
  readonly backlog: number;
  /** Ends the response after `chunk`. */
  end(chunk?: SseChunk): void;
  /** Closes the connection at once. */
  destroy(): void;
  /** Answers `204 No Content`, without a stream. */
  noContent(): void;
  /** Answers a `HEAD` request with the stream's status and headers, and no body. */
  head(request: SseRequest, status: number): void;
  /** Sets a response header (before `open()`), e.g. `Retry-After` on a refusal. */
  setHeader(name: string, value: string): void;
}
