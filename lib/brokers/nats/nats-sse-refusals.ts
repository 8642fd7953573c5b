import type { Logger } from '@nestjs/common';
import { reasonOf } from '../shared/broker-failure-reason.js';
import { BrokerRefusals } from '../shared/broker-refusals.js';
import { NATS_SSE_MESSAGES, type NatsSseEffect } from './nats-sse.messages.js';
import { NatsSseUnavailableError } from './nats-sse-unavailable.error.js';

/** The code of the error of a publish that other instances' publishes to its channel beat until its time ran out. */
export const CONTENDED = 'SSE_CONTENDED';

/** The error codes that say the request never reached a server (or JetStream), or was refused: nothing happened. */
const NOT_SENT = new Set([
  '503',
  'DISCONNECT',
  'CONNECTION_CLOSED',
  'CONNECTION_REFUSED',
  'CONNECTION_DRAINING',
  CONTENDED,
]);

/** The code of the error a request in flight rejects with when the connection is lost (see `NatsSseLink.whenLost()`). */
export const CONNECTION_LOST = 'SSE_CONNECTION_LOST';

/** What a failed request's error says: the broker's own errors (with no code) are `other`. */
export type NatsSseFailureKind = 'timeout' | 'lost' | 'not sent' | 'refused' | 'other';

/** Classifies an error of the nats client or of JetStream. Pure. */
export function failureKind(error: unknown): NatsSseFailureKind {
  const e = error as { code?: unknown; api_error?: { code?: unknown } } | null;
  if (e?.code === 'TIMEOUT') return 'timeout';
  if (e?.code === CONNECTION_LOST) return 'lost';
  // JetStream answering 503 (it is starting up, or lost its quorum) did nothing either.
  if (NOT_SENT.has(String(e?.code)) || e?.api_error?.code === 503) return 'not sent';
  return e?.api_error !== undefined || e?.code !== undefined ? 'refused' : 'other';
}

/**
 * The errors of the broker's operations that could not reach NATS: what the
 * client is told (only that the service is unavailable, whether the publish
 * may have been done, and when to retry), and the details (the address of
 * the server, the error of the client or of JetStream), which go to the log
 * once per outage and reason, not once per request.
 */
export class NatsSseRefusals extends BrokerRefusals<NatsSseUnavailableError> {
  constructor(
    /** host:port of NATS, for the details. */
    target: () => string,
    retryAfterSeconds: number,
    private readonly commandTimeoutMs: number,
    logger: Logger,
  ) {
    super({
      target,
      retryAfterSeconds,
      logger,
      messages: NATS_SSE_MESSAGES,
      errorOf: (message, details) => new NatsSseUnavailableError(message, details),
    });
  }

  /**
   * What an operation whose request failed rejects with: a plain error when
   * JetStream (or the server) refused it (retrying does not help), the error
   * itself when it is the broker's own; otherwise `NatsSseUnavailableError`,
   * saying that a publish or send may have been done when it was sent and
   * not answered.
   */
  failure(operation: string, error: unknown, effect?: NatsSseEffect): Error {
    const kind = failureKind(error);
    if (kind === 'other') return error instanceof Error ? error : new Error(String(error));
    if (kind === 'refused') return new Error(NATS_SSE_MESSAGES.refused(operation, reasonOf(error)), { cause: error });
    if ((error as { code?: unknown } | null)?.code === CONTENDED) {
      const reason = reasonOf(error);
      return this.refuse(NATS_SSE_MESSAGES.contendedDetail(operation, reason), reason, effect, false, error);
    }
    if (kind === 'not sent') return this.unavailable(operation, reasonOf(error), effect, error);
    // Sent (or queued to be sent once the connection is back) and not answered: it may still happen.
    const reason =
      kind === 'lost' ? NATS_SSE_MESSAGES.connectionLost() : NATS_SSE_MESSAGES.noAnswer(this.commandTimeoutMs);
    return this.unanswered(operation, reason, effect, true, error);
  }
}
