import type { EventStreamHeaders } from './client-options.js';

/** The header names the client sets itself; a caller's own (in any case) are replaced. */
const OWN_HEADERS = new Set(['accept', 'last-event-id']);

/**
 * The headers of one connect: the caller's (the function called now, so a
 * reconnect gets a fresh token; an object or a `Headers`),
 * `Accept: text/event-stream`, and `Last-Event-ID` when there is a last event
 * id (as its UTF-8 bytes, see {@link utf8ByteString}).
 */
export async function buildRequestHeaders(
  given: EventStreamHeaders | undefined,
  lastEventId: string,
): Promise<Record<string, string>> {
  const own = typeof given === 'function' ? await given() : given;
  const headers: Record<string, string> = {};
  const put = (value: unknown, name: string) => {
    if (!OWN_HEADERS.has(name.toLowerCase())) headers[name] = String(value);
  };
  if (isHeaders(own)) own.forEach(put);
  else if (own != null) for (const [name, value] of Object.entries(own)) put(value, name);
  headers.accept = 'text/event-stream';
  if (lastEventId !== '') headers['last-event-id'] = utf8ByteString(lastEventId);
  return headers;
}

function isHeaders(value: unknown): value is Headers {
  return (
    (typeof Headers === 'function' && value instanceof Headers) ||
    (value !== null &&
      typeof value === 'object' &&
      typeof (value as Headers).forEach === 'function' &&
      typeof (value as Headers).get === 'function')
  );
}

/**
 * `text` as a header value: as it is when it is ASCII, else its UTF-8 bytes,
 * one character (U+0000 to U+00FF) per byte. `fetch` refuses a header
 * character above U+00FF and sends each of these as its byte, as a browser's
 * `EventSource` sends `Last-Event-ID` (the server decodes UTF-8).
 */
export function utf8ByteString(text: string): string {
  // eslint-disable-next-line no-control-regex
  if (!/[^\u0000-\u007f]/.test(text)) return text;
  const bytes = new TextEncoder().encode(text);
  let out = '';
  for (let i = 0; i < bytes.length; i += 4096) {
    out += String.fromCharCode(...bytes.subarray(i, i + 4096));
  }
  return out;
}

/**
 * Builds the `Request` of `init` once, without sending it, where the runtime
 * has one: it throws the TypeError that `fetch` would, for what no retry can
 * fix (a header value with CR or LF or a character above U+00FF, a forbidden
 * method, a URL with credentials...), so that the client can stop for good
 * instead of reporting it as a network error forever.
 */
export function checkRequest(url: string, init: RequestInit): void {
  if (typeof Request !== 'function') return;
  const { signal: _signal, ...rest } = init;
  void _signal;
  void new Request(url, rest);
}

/**
 * The start of a response's body as text, at most `maxBytes` bytes: enough
 * for an error's message, and never the whole of a huge or endless body.
 */
export async function readBoundedText(response: Response, maxBytes: number): Promise<string> {
  const reader = response.body?.getReader();
  if (!reader) return '';
  const decoder = new TextDecoder();
  let text = '';
  let read = 0;
  try {
    while (read < maxBytes) {
      const { done, value } = await reader.read();
      if (done) break;
      const piece = value.subarray(0, maxBytes - read);
      read += piece.length;
      text += decoder.decode(piece, { stream: true });
    }
  } catch {
    // A body cut short still tells what it told.
  } finally {
    void reader.cancel().catch(() => undefined);
  }
  return text + decoder.decode();
}

/** `text` parsed as a JSON object, `undefined` when it is not one. */
export function parseJsonObject(text: string): Record<string, unknown> | undefined {
  try {
    const value: unknown = JSON.parse(text);
    return value !== null && typeof value === 'object' && !Array.isArray(value)
      ? (value as Record<string, unknown>)
      : undefined;
  } catch {
    return undefined;
  }
}

/** A short text for an error of any kind, for messages. */
export function errorText(error: unknown): string {
  if (error instanceof Error) {
    const cause = (error as { cause?: unknown }).cause;
    const detail = cause instanceof Error && cause.message !== error.message ? `: ${cause.message}` : '';
    return `${error.name === 'Error' ? '' : `${error.name}: `}${error.message}${detail}`;
  }
  return String(error);
}
