import type { IncomingMessage, ServerResponse } from 'node:http';

/**
 * Sets the status and headers of an event stream, keeping the headers the app
 * set (CORS, `@Header()`). `no-transform` also keeps the `compression`
 * middleware from buffering the stream.
 */
export function setEventStreamHeaders(request: IncomingMessage, response: ServerResponse, status = 200): void {
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

/** Answers a `HEAD` request on a stream route: the stream's status and headers, and no body. */
export function answerHead(request: IncomingMessage, response: ServerResponse, status = 200): void {
  setEventStreamHeaders(request, response, status);
  response.end();
}
