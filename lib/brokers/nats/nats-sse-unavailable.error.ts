import { SseBrokerUnavailableError, type SseBrokerUnavailableDetails } from '../sse-broker-unavailable.error.js';

/** What `NatsSseUnavailableError` knows beyond what clients are told. */
export type NatsSseUnavailableDetails = SseBrokerUnavailableDetails;

/**
 * NATS (or its JetStream) could not be reached, or did not answer in time,
 * for an operation that needs it: publishing, sending to other instances,
 * joining a channel, reading history, taking a schedule lock. The NATS
 * broker's `SseBrokerUnavailableError` (a 503): its body says only that the
 * service is unavailable, and when to retry; the address of the server and
 * the underlying error are in `detail` (and `cause`), for logs only. The
 * broker logs them once per outage and reason. See `SseBrokerUnavailableError`
 * for `maybePublished`.
 */
export class NatsSseUnavailableError extends SseBrokerUnavailableError {
  /** `message` is what clients are told: name no server, address or internal error in it. */
  constructor(message: string, details: NatsSseUnavailableDetails = {}) {
    super(message, details);
    this.name = 'NatsSseUnavailableError';
  }
}
