import type { IncomingMessage, ServerResponse } from 'node:http';

/**
 * Sets the headers of an event stream, keeping the ones the app set (CORS,
 * `@Header()`). `no-transform` also keeps the `compression` middleware from
 * buffering the stream.
 */
export function setEventStreamHeaders(request: IncomingMessage, response: ServerResponse): void {
  response.statusCode = 200;
  response.setHeader('Content-Type', 'text/event-stream; charset=utf-8');
  response.setHeader('Cache-Control', 'no-cache, no-transform');
  response.setHeader('X-Accel-Buffering', 'no');
  if (request.httpVersion === '1.1' && !/\bclose\b/i.test(String(request.headers.connection ?? ''))) {
    response.setHeader('Connection', 'keep-alive');
  }
  response.removeHeader('Content-Length');
  response.removeHeader('ETag');
}
