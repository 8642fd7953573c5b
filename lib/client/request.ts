import type { EventStreamHeaders } from './client-options.js';

/** The header names the client sets itself; a caller's own (in any case) are replaced. */
const OWN_HEADERS = new Set(['accept', 'last-event-id']);

/**
 * The headers of one connect: the caller's (the function called now, so a
 * reconnect gets a fresh token), `Accept: text/event-stream`, and
 * `Last-Event-ID` when there is a last event id.
 */
export async function buildRequestHeaders(
  given: EventStreamHeaders | undefined,
  lastEventId: string,
): Promise<Record<string, string>> {
  const own = typeof given === 'function' ? await given() : given;
  const headers: Record<string, string> = {};
  for (const [name, value] of Object.entries(own ?? {})) {
    if (!OWN_HEADERS.has(name.toLowerCase())) headers[name] = String(value);
  }
  headers.accept = 'text/event-stream';
  if (lastEventId !== '') headers['last-event-id'] = lastEventId;
  return headers;
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
