/**
 * Every text the typed client says: what was wrong, and what to do. One
 * place, so that the messages stay consistent and are easy to review.
 */
export const ClientMessages = {
  noFetch: () =>
    'EventStreamClient found no fetch: this runtime has no globalThis.fetch. Pass one with the `fetch` option ' +
    '(e.g. from undici), or run on Node 18+ or a browser.',
  badUrl: (url: unknown) => `EventStreamClient needs a URL (a string or a URL object); got ${describe(url)}.`,
  relativeUrl: (url: string) =>
    `EventStreamClient got the relative URL ${describe(url)} and there is no page to resolve it against ` +
    '(globalThis.location, in Node): pass an absolute URL (`http://host:port/path`).',
  streamBody: () =>
    'EventStreamClient option `body` must not be a stream: the body is sent again on every reconnect and a stream ' +
    'can be read once only. Pass a string, URLSearchParams, a Blob, FormData or an ArrayBuffer.',
  request: (cause: string) =>
    `The request of the event stream could not be built (${cause}): an option is wrong (a header name or value ` +
    'with CR, LF or a character above U+00FF, a forbidden method, a URL with credentials...). ' +
    'The client stopped for good: fix the option and connect again.',
  badOption: (name: string, value: unknown, expected: string) =>
    `EventStreamClient option \`${name}\` must be ${expected}; got ${describe(value)}. Fix the option or leave it out for the default.`,
  bodyWithGet: () =>
    'EventStreamClient option `body` was given with method GET (or HEAD), which cannot carry a body: ' +
    "set `method: 'POST'` or drop the body.",
  status: (status: number, statusText: string, message: string | undefined) =>
    `The server refused the event stream with ${status}${statusText ? ` ${statusText}` : ''}` +
    (message ? `: ${message}` : '') +
    '. The client stopped for good: fix the request (credentials, URL, permissions) and connect again.',
  retryStatus: (status: number, delayMs: number) =>
    `The server answered ${status} (busy, unavailable or failing); the client reconnects in ${delayMs} ms.`,
  notEventStream: (status: number, contentType: string) =>
    `The server answered ${status} with Content-Type "${contentType || 'none'}", not text/event-stream: ` +
    'this URL is not an event stream (a wrong path, or a proxy or login page in between). The client stopped for good.',
  network: (cause: string, delayMs: number) =>
    `The event stream could not be reached or dropped (${cause}); the client reconnects in ${delayMs} ms.`,
  watchdog: (timeoutMs: number, delayMs: number) =>
    `Nothing arrived on the event stream for ${timeoutMs} ms (not even a heartbeat comment): the connection is ` +
    `presumed dead and is reopened in ${delayMs} ms. Raise heartbeat.timeoutMs (or set 0) if the server sends no heartbeats.`,
  headers: (cause: string, delayMs: number) =>
    `The \`headers\` function failed (${cause}); the client tries again in ${delayMs} ms. ` +
    'Make it resolve to an object of header names and values.',
  decode: (type: string, cause: string) =>
    `The data of an event "${type}" could not be decoded (${cause}); the event was skipped. ` +
    "Send JSON, or set `decode: 'text'` (or a function) for this stream.",
  finalWordError: (status: unknown, message: unknown, delayMs: number) =>
    `The server ended the stream with an error (${[status, message].filter((part) => part !== undefined).join(' ')}); ` +
    `the client reconnects in ${delayMs} ms and resumes.`,
  listener: (where: string, cause: string) =>
    `A listener of the event stream client (${where}) threw: ${cause}. The client goes on; fix the listener.`,
} as const;

function describe(value: unknown): string {
  if (typeof value === 'string') return JSON.stringify(value.length > 80 ? `${value.slice(0, 80)}…` : value);
  if (typeof value === 'function') return 'a function';
  if (value === null || typeof value !== 'object') return String(value);
  return Array.isArray(value) ? 'an array' : 'an object';
}
