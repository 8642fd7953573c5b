import type { SseClient } from '../stream/sse-client.interface.js';
import { SSE_MESSAGES } from '../sse.messages.js';
import { encodeEvent } from '../protocol/encode-event.js';
import { toSseEventInit } from '../protocol/sse-event.js';
import type { SseSerializer } from '../protocol/sse-serializer.js';

/** The connection id of an `except` option: the id as given, or the client's. Pure. */
export function exceptId(except: string | SseClient | undefined): string | undefined {
  return typeof except === 'string' ? except : except?.id;
}

/**
 * The body of a hub event (an `sseEvent(...)`, or the data of a plain
 * message), encoded once for every recipient: a `TypeError` if it has an
 * `id` (the hub assigns ids). Pure.
 */
export function encodeHubEvent(value: unknown, serializer: SseSerializer): string {
  const event = toSseEventInit(value);
  if (event.id !== undefined) throw new TypeError(SSE_MESSAGES.hubAssignsIds());
  return encodeEvent(event, serializer);
}
