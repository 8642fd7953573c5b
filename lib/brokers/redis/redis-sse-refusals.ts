import type { Logger } from '@nestjs/common';
import { reasonOf, transientReplyOf } from './redis-sse-failure.js';
import { REDIS_SSE_MESSAGES, type RedisSseEffect } from './redis-sse.messages.js';
import { RedisSseUnavailableError } from './redis-sse-unavailable.error.js';

/** How many distinct reasons one outage logs at most. */
const MAX_LOGGED_REASONS = 16;

/** Whether ioredis refused the command of `error` before writing it (the connection was not writable). */
function notSent(error: unknown): boolean {
  return /^Stream isn't writeable/.test(reasonOf(error));
}

/**
 * The errors of the broker's operations that could not reach Redis: what the
 * client is told (only that the service is unavailable, whether the publish
 * may have been done, and when to retry), and the details (the address of
 * Redis, the error of the OS or of ioredis), which go to the log once per
 * outage and reason, not once per request.
 */
export class RedisSseRefusals {
  private readonly logged = new Set<string>();

  constructor(
    /** host:port of Redis, for the details. */
    private readonly target: () => string,
    private readonly retryAfterSeconds: number,
    private readonly logger: Logger,
  ) {}

  /** For an operation that was not sent to Redis (it is away): nothing happened. */
  unavailable(operation: string, reason: string, effect?: RedisSseEffect, cause?: unknown): RedisSseUnavailableError {
    return this.error(REDIS_SSE_MESSAGES.unavailable(operation, this.target(), reason), reason, effect, false, cause);
  }

  /**
   * What an operation whose command failed rejects with: a plain error when
   * Redis answered with an error (retrying does not help); otherwise
   * `RedisSseUnavailableError`, saying that a publish or send may have been
   * done unless ioredis refused it before sending it, or Redis refused it
   * for now (a cluster between states, a server loading: nothing was done).
   */
  failure(operation: string, error: unknown, effect?: RedisSseEffect): Error {
    if (transientReplyOf(error)) return this.unavailable(operation, reasonOf(error), effect, error);
    if ((error as Error)?.name === 'ReplyError') {
      return new Error(REDIS_SSE_MESSAGES.refused(operation, reasonOf(error)), { cause: error });
    }
    const reason = reasonOf(error);
    if (notSent(error)) return this.unavailable(operation, reason, effect, error);
    const detail = REDIS_SSE_MESSAGES.unanswered(operation, this.target(), reason, effect);
    return this.error(detail, reason, effect, effect !== undefined, error);
  }

  /** Redis answered: the next refusal is logged again. */
  answered(): void {
    if (this.logged.size > 0) this.logged.clear();
  }

  private error(
    detail: string,
    reason: string,
    effect: RedisSseEffect,
    maybePublished: boolean,
    cause: unknown,
  ): RedisSseUnavailableError {
    const key = `${maybePublished}:${reason}`;
    if (!this.logged.has(key) && this.logged.size < MAX_LOGGED_REASONS) {
      this.logged.add(key);
      this.logger.warn(REDIS_SSE_MESSAGES.refusing(detail));
    }
    const { retryAfterSeconds } = this;
    const message = REDIS_SSE_MESSAGES.publicUnavailable(retryAfterSeconds, effect, maybePublished);
    return new RedisSseUnavailableError(message, { detail, maybePublished, retryAfterSeconds, cause });
  }
}
