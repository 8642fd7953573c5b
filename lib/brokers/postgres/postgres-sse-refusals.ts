import type { Logger } from '@nestjs/common';
import { POSTGRES_SSE_MESSAGES, type PostgresSseEffect } from './postgres-sse.messages.js';
import { PostgresSseUnavailableError } from './postgres-sse-unavailable.error.js';

/** How many distinct reasons one outage logs at most. */
const MAX_LOGGED_REASONS = 16;

/**
 * The errors of the broker's operations that could not reach PostgreSQL:
 * what the client is told (only that the service is unavailable, whether the
 * publish may have been done, and when to retry), and the details (the
 * address of the server, the error of the OS or of pg), which go to the log
 * once per outage and reason, not once per request.
 */
export class PostgresSseRefusals {
  private readonly logged = new Set<string>();

  constructor(
    /** host:port/database of PostgreSQL, for the details. */
    private readonly target: string,
    private readonly retryAfterSeconds: number,
    private readonly logger: Logger,
  ) {}

  /** For an operation that was not sent to PostgreSQL (it is away): nothing happened. */
  unavailable(
    operation: string,
    reason: string,
    effect?: PostgresSseEffect,
    cause?: unknown,
  ): PostgresSseUnavailableError {
    const detail = POSTGRES_SSE_MESSAGES.unavailable(operation, this.target, reason);
    return this.error(detail, reason, effect, false, cause);
  }

  /** For an operation that was sent and not answered: a publish or send may have been done (`maybePublished`). */
  unanswered(
    operation: string,
    reason: string,
    effect: PostgresSseEffect,
    maybe: boolean,
    cause?: unknown,
  ): PostgresSseUnavailableError {
    const detail = POSTGRES_SSE_MESSAGES.unanswered(operation, this.target, reason, maybe ? effect : undefined);
    return this.error(detail, reason, effect, maybe && effect !== undefined, cause);
  }

  /** PostgreSQL answered: the next refusal is logged again. */
  answered(): void {
    if (this.logged.size > 0) this.logged.clear();
  }

  private error(
    detail: string,
    reason: string,
    effect: PostgresSseEffect,
    maybePublished: boolean,
    cause: unknown,
  ): PostgresSseUnavailableError {
    const key = `${maybePublished}:${reason}`;
    if (!this.logged.has(key) && this.logged.size < MAX_LOGGED_REASONS) {
      this.logged.add(key);
      this.logger.warn(POSTGRES_SSE_MESSAGES.refusing(detail));
    }
    const { retryAfterSeconds } = this;
    const message = POSTGRES_SSE_MESSAGES.publicUnavailable(retryAfterSeconds, effect, maybePublished);
    return new PostgresSseUnavailableError(message, { detail, maybePublished, retryAfterSeconds, cause });
  }
}
