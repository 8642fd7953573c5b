import type { Logger } from '@nestjs/common';
import type { SseBrokerUnavailableDetails, SseBrokerUnavailableError } from '../sse-broker-unavailable.error.js';
import type { BrokerEffect, BrokerMessages } from './broker-messages.js';

/** How many distinct reasons one outage logs at most. */
const MAX_LOGGED_REASONS = 16;

/** What a `BrokerRefusals` is built with. */
export interface BrokerRefusalsOptions<E extends SseBrokerUnavailableError> {
  /** Where the service is (host:port...), for the details: never a password. */
  readonly target: () => string;
  /** The `Retry-After` of every 503. */
  readonly retryAfterSeconds: number;
  readonly logger: Logger;
  readonly messages: Pick<BrokerMessages, 'unavailable' | 'unanswered' | 'publicUnavailable' | 'refusing'>;
  /** Makes the broker's own unavailable error (a subclass of `SseBrokerUnavailableError`). */
  readonly errorOf: (message: string, details: SseBrokerUnavailableDetails) => E;
}

/**
 * The errors of a broker's operations that could not reach its service:
 * what the client is told (only that the service is unavailable, whether a
 * publish may have been done, and when to retry), and the details (the
 * address of the server, the underlying error), which go to the log once per
 * outage and reason, not once per request. Each broker builds one with its
 * error class and messages; a broker that tells its errors apart adds a
 * `failure()` of its own in a subclass.
 *
 * @example
 * const refusals = new BrokerRefusals({ target, retryAfterSeconds: 1, logger, messages, errorOf: (m, d) => new MyUnavailableError(m, d) });
 * throw refusals.unavailable('publish to channel "a"', 'ECONNREFUSED', 'publish');
 */
export class BrokerRefusals<E extends SseBrokerUnavailableError> {
  private readonly logged = new Set<string>();

  constructor(protected readonly options: BrokerRefusalsOptions<E>) {}

  /** For an operation that was not sent to the service (it is away): nothing happened. */
  unavailable(operation: string, reason: string, effect?: BrokerEffect, cause?: unknown): E {
    const detail = this.options.messages.unavailable(operation, this.options.target(), reason);
    return this.refuse(detail, reason, effect, false, cause);
  }

  /** For an operation that was sent and not answered: a publish or send may have been done (`maybePublished`) when `maybe`. */
  unanswered(operation: string, reason: string, effect: BrokerEffect, maybe: boolean, cause?: unknown): E {
    const { messages, target } = this.options;
    const detail = messages.unanswered(operation, target(), reason, maybe ? effect : undefined);
    return this.refuse(detail, reason, effect, maybe && effect !== undefined, cause);
  }

  /** The service answered: the next refusal is logged again. */
  answered(): void {
    if (this.logged.size > 0) this.logged.clear();
  }

  /** The error of a refusal whose `detail` is given: logged once per outage and reason. */
  protected refuse(detail: string, reason: string, effect: BrokerEffect, maybePublished: boolean, cause: unknown): E {
    const { messages, logger, retryAfterSeconds, errorOf } = this.options;
    const key = `${maybePublished}:${reason}`;
    if (!this.logged.has(key) && this.logged.size < MAX_LOGGED_REASONS) {
      this.logged.add(key);
      logger.warn(messages.refusing(detail));
    }
    const message = messages.publicUnavailable(retryAfterSeconds, effect, maybePublished);
    return errorOf(message, { detail, maybePublished, retryAfterSeconds, cause });
  }
}
