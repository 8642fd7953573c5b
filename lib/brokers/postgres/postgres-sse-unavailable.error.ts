import { SseBrokerUnavailableError, type SseBrokerUnavailableDetails } from '../sse-broker-unavailable.error.js';

/** What `PostgresSseUnavailableError` knows beyond what clients are told. */
export type PostgresSseUnavailableDetails = SseBrokerUnavailableDetails;

/**
 * PostgreSQL could not be reached, or did not answer in time, for an
 * operation that needs it: publishing, sending to other instances, joining a
 * channel, reading history, taking a schedule lock. The PostgreSQL broker's
 * `SseBrokerUnavailableError` (a 503): its body says only that the service is
 * unavailable, and when to retry; the address of the server and the
 * underlying error are in `detail` (and `cause`), for logs only. See
 * `SseBrokerUnavailableError` for `maybePublished`.
 */
export class PostgresSseUnavailableError extends SseBrokerUnavailableError {
  /** `message` is what clients are told: name no server, address or internal error in it. */
  constructor(message: string, details: PostgresSseUnavailableDetails = {}) {
    super(message, details);
    this.name = 'PostgresSseUnavailableError';
  }
}
