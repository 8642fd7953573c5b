/**
 * Every message the testing kit throws: each says what was wrong and what to
 * do about it. Kept in one place, as `lib/sse.messages.ts` is for the library.
 */

/** The last characters of what a stream received, for a message: `(nothing)` when empty. */
function tail(text: string, length = 500): string {
  if (text === '') return '(nothing)';
  const shown = text.length > length ? `…${text.slice(-length)}` : text;
  return JSON.stringify(shown);
}

export const TESTING_MESSAGES = {
  notListening: () =>
    'openEventStream(app, ...): the app is not listening. Call `await app.listen(0)` first ' +
    "(or `await app.listen(0, '127.0.0.1')`), or pass the app's base URL as a string.",
  pipeAddress: (address: string) =>
    `openEventStream(app, ...): the app listens on the pipe or socket ${JSON.stringify(address)}, not on a TCP port. ` +
    'Listen on a port (`app.listen(0)`) or pass a base URL as a string.',
  badTarget: (target: unknown) =>
    `openEventStream(target, ...): target must be a listening INestApplication or a base URL string ` +
    `such as 'http://127.0.0.1:3000'; got ${describe(target)}.`,
  badUrl: (url: string, reason: string) =>
    `openEventStream(): ${JSON.stringify(url)} is not a valid http: or https: URL (${reason}). ` +
    "Pass a base URL such as 'http://127.0.0.1:3000' and a path such as '/ticks'.",
  badTimeout: (where: string, value: unknown, max: number) =>
    `${where}: timeoutMs must be an integer of milliseconds from 1 to ${max} (what setTimeout keeps); ` +
    `got ${describe(value)}. Leave it out for the default (5000).`,
  badMethod: (method: unknown) =>
    `openEventStream(): method must be an HTTP method name (a token such as 'GET' or 'POST'); got ${describe(method)}.`,
  badHeaderName: (name: string) =>
    `openEventStream(): ${JSON.stringify(name)} is not a valid header name (letters, digits and !#$%&'*+-.^_\`|~ only, ` +
    'no spaces, no colon). Fix the key in headers.',
  badHeaderValue: (option: string, value: unknown) =>
    `openEventStream(): ${option} must be a string without CR, LF, NUL or other control characters ` +
    `(and no character above U+00FF), as no protocol can send them; got ${describe(value)}.`,
  connectionHeader: (name: string) =>
    `openEventStream(): the ${JSON.stringify(name)} header is specific to an HTTP/1.1 connection and HTTP/2 forbids it ` +
    "(only 'te: trailers' is allowed). Leave it out of headers: the kit manages its own connection.",
  badBody: (body: unknown) =>
    `openEventStream(): body must be a string or a Uint8Array (a Buffer); got ${describe(body)}. ` +
    'Serialize it first, e.g. JSON.stringify(value) with a content-type header.',
  badPredicate: (where: string, value: unknown) =>
    `${where}: the predicate must be a function; got ${describe(value)}.`,
  connectionLost: (cause: unknown) => `The connection failed before the body ended: ${errorText(cause)}.`,
  streamResetDuringBody: (code: number) =>
    `The server reset the HTTP/2 stream, or its session went away, before the body ended (RST_STREAM code ${code}).`,
  closedBeforeEnd: () => 'The connection closed before the body ended (no end of the response was read).',
  noResponse: (request: string, timeoutMs: number) =>
    `openEventStream(): no response to ${request} within ${timeoutMs} ms (timeoutMs). ` +
    'Is the route guarded by something that never answers, or is the app busy? Raise timeoutMs if it is just slow.',
  requestFailed: (request: string, error: unknown) =>
    `openEventStream(): ${request} failed before a response: ${errorText(error)}. ` +
    'Check that the app listens there and speaks this protocol (HTTP/2 apps need the app itself or `http2: true`).',
  streamResetBeforeResponse: (request: string, code: number | undefined) =>
    `openEventStream(): the HTTP/2 stream of ${request} closed before a response (RST_STREAM code ${code ?? 'unknown'}).`,
  timedOut: (what: string, timeoutMs: number, text: string) =>
    `Timed out after ${timeoutMs} ms (timeoutMs) waiting for ${what}. ` +
    `The stream received, last characters: ${tail(text)}. ` +
    'Check that the route sends it; raise timeoutMs only if the app is slow on purpose.',
  endedBefore: (what: string, text: string, status: number, failure: Error | undefined) =>
    `The stream ended (status ${status}) before ${what}.` +
    (failure === undefined ? '' : ` ${failure.message}`) +
    ` It received, last characters: ${tail(text)}.`,
  notJson: (type: string, data: string, error: unknown) =>
    `The data of a ${JSON.stringify(type)} event is not JSON (${errorText(error)}): ${tail(data, 200)}. ` +
    "Open the stream with `decode: 'text'` (or a decode function) for events whose data is not JSON.",
  badCount: (method: string, count: unknown) =>
    `${method}: the count must be a non-negative integer; got ${describe(count)}.`,
  hubTimedOut: (what: string, timeoutMs: number, state: string) =>
    `Timed out after ${timeoutMs} ms (timeoutMs) waiting for ${what}. The hub has ${state}. ` +
    'Check that the streams were opened (and their joins awaited), or raise timeoutMs.',
  hubClosed: (what: string, state: string) =>
    `The hub shut down (lifecycle$ completed) before ${what}. The hub has ${state}.`,
} as const;

function describe(value: unknown): string {
  if (typeof value === 'string') return JSON.stringify(value);
  if (value === null || value === undefined) return String(value);
  if (typeof value === 'object') return `an object (${value.constructor?.name ?? 'no prototype'})`;
  return `${typeof value} ${String(value)}`;
}

function errorText(error: unknown): string {
  // Not `instanceof Error`: an error of Node's own realm is no Error of a test runner's VM context.
  if (typeof error === 'object' && error !== null && typeof (error as { message?: unknown }).message === 'string') {
    const { code, message } = error as { code?: unknown; message: string };
    return typeof code === 'string' ? `${code}: ${message}` : message;
  }
  return String(error);
}
