import type { Logger } from '@nestjs/common';
import { BrokerRefusals } from '../shared/broker-refusals.js';
import { POSTGRES_SSE_MESSAGES } from './postgres-sse.messages.js';
import { PostgresSseUnavailableError } from './postgres-sse-unavailable.error.js';

/**
 * The errors of the broker's operations that could not reach PostgreSQL (see
 * `BrokerRefusals`): clients are told only that the service is unavailable,
 * whether the publish may have been done, and when to retry; the details
 * (the address of the server, the error of the OS or of pg) go to the log
 * once per outage and reason.
 */
export class PostgresSseRefusals extends BrokerRefusals<PostgresSseUnavailableError> {
  constructor(
    /** host:port/database of PostgreSQL, for the details. */
    target: string,
    retryAfterSeconds: number,
    logger: Logger,
  ) {
    super({
      target: () => target,
      retryAfterSeconds,
      logger,
      messages: POSTGRES_SSE_MESSAGES,
      errorOf: (message, details) => new PostgresSseUnavailableError(message, details),
    });
  }
}
