import type { IncomingMessage, ServerResponse } from 'node:http';

/**
 * Answers the first request of `path` with `status` (and `Retry-After` when
 * given), as a proxy or a busy server would, then lets every later one
 * through to the stream route. Resolves the times of every request of `path`.
 */
export function refuseFirst(path: string, status: number, retryAfter?: string) {
  const times: number[] = [];
  const middleware = (request: IncomingMessage, response: ServerResponse, next: () => void) => {
    if (request.url !== path) return next();
    times.push(Date.now());
    if (times.length > 1) return next();
    response.statusCode = status;
    if (retryAfter !== undefined) response.setHeader('Retry-After', retryAfter);
    response.setHeader('content-type', 'application/json');
    response.end(JSON.stringify({ statusCode: status, message: 'busy, come back later' }));
  };
  return { middleware, times };
}
