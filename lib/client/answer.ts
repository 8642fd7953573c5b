import { ClientMessages } from './client.messages.js';
import type { EventStreamClosed } from './client-types.js';
import { EventStreamError } from './event-stream.error.js';
import { readBoundedText } from './request.js';
import { parseRetryAfter } from './retry-after.js';
import { decideOnResponse, serverMessageOf } from './stop-rules.js';

/** How much of an error body is read for its message. */
const MAX_ERROR_BODY_BYTES = 4096;

/** What an answer to a connect means for the client. */
export type AnswerOutcome =
  /** A stream: read it. */
  | { readonly action: 'open' }
  /** Stop for good, with this. */
  | { readonly action: 'stop'; readonly closed: EventStreamClosed }
  /** Reconnect with backoff; `retryAfterMs` from `Retry-After` (on 429 and 503) when it had a valid one. */
  | { readonly action: 'retry'; readonly status: number; readonly retryAfterMs?: number };

/**
 * Applies the stop rules (`decideOnResponse`) to an answer; for a stop with an
 * error status it reads the start of the body for the server's message. Every
 * body but a stream's is cancelled.
 */
export async function outcomeOfAnswer(response: Response): Promise<AnswerOutcome> {
  const { status } = response;
  const contentType = response.headers.get('content-type') ?? '';
  const decision = decideOnResponse(status, contentType);
  if (decision.action === 'open') return decision;
  if (decision.action === 'retry') {
    void response.body?.cancel().catch(() => undefined);
    const retryAfterMs = decision.retryAfter ? parseRetryAfter(response.headers.get('retry-after')) : undefined;
    return { action: 'retry', status, retryAfterMs };
  }
  if (decision.kind === 'no-content') {
    void response.body?.cancel().catch(() => undefined);
    return { action: 'stop', closed: { reason: 'status', status } };
  }
  if (decision.kind === 'not-event-stream') {
    void response.body?.cancel().catch(() => undefined);
    const message = ClientMessages.notEventStream(status, contentType);
    const error = new EventStreamError('not-event-stream', message, { status, contentType });
    return { action: 'stop', closed: { reason: 'not-event-stream', status, error } };
  }
  const serverMessage = serverMessageOf(await readBoundedText(response, MAX_ERROR_BODY_BYTES));
  const message = ClientMessages.status(status, response.statusText, serverMessage);
  const error = new EventStreamError('status', message, { status, serverMessage, contentType });
  return { action: 'stop', closed: { reason: 'status', status, error } };
}
