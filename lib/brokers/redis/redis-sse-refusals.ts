import type { Logger } from '@nestjs/common';
import { BrokerRefusals } from '../shared/broker-refusals.js';
import { reasonOf, transientReplyOf } from './redis-sse-failure.js';
import { REDIS_SSE_MESSAGES, type RedisSseEffect } from './redis-sse.messages.js';
import { RedisSseUnavailableError } from './redis-sse-unavailable.error.js';

/** Whether ioredis refused the command of `error` before writing it (the connection was not writable). */
function notSent(error: unknown): boolean {
  return /^Stream isn't writeable/.test(reasonOf(error));
}

/**
 * The errors of the broker's operations that could not reach Redis (see
 * `BrokerRefusals`): clients are told only that the service is unavailable,
 * whether the publish may have been done, and when to retry; the details
 * (the address of Redis, the error of the OS or of ioredis) go to the log
 * once per outage and reason.
 */
export class RedisSseRefusals extends BrokerRefusals<RedisSseUnavailableError> {
  constructor(
    /** host:port of Redis, for the details. */
    target: () => string,
    retryAfterSeconds: number,
    logger: Logger,
  ) {
    super({
      target,
      retryAfterSeconds,
      logger,
      messages: REDIS_SSE_MESSAGES,
      errorOf: (message, details) => new RedisSseUnavailableError(message, details),
    });
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
    return this.unanswered(operation, reason, effect, true, error);
  }
}
