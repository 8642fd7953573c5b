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
  badTimeout: (value: unknown) =>
    `openEventStream(): timeoutMs must be a positive integer of milliseconds; got ${describe(value)}.`,
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
  endedBefore: (what: string, text: string, status: number) =>
    `The stream ended (status ${status}) before ${what}. It received, last characters: ${tail(text)}.`,
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
  if (error instanceof Error) {
    const code = (error as { code?: unknown }).code;
    return typeof code === 'string' ? `${code}: ${error.message}` : error.message;
  }
  return String(error);
}
