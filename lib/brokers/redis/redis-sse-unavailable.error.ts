import { SseBrokerUnavailableError, type SseBrokerUnavailableDetails } from '../sse-broker-unavailable.error.js';

/** What `RedisSseUnavailableError` knows beyond what clients are told. */
export type RedisSseUnavailableDetails = SseBrokerUnavailableDetails;

/**
 * Redis could not be reached, or did not answer in time, for an operation
 * that needs it: publishing, sending to other instances, joining a channel,
 * reading history, taking a lock. The Redis broker's `SseBrokerUnavailableError`
 * (a 503): its body says only that the service is unavailable, and when to
 * retry; the address of Redis and the underlying error are in `detail` (and
 * `cause`), for logs only. The broker logs them once per outage and reason.
 * See `SseBrokerUnavailableError` for `maybePublished`.
 */
export class RedisSseUnavailableError extends SseBrokerUnavailableError {
  /** `message` is what clients are told: name no server, address or internal error in it. */
  constructor(message: string, details: RedisSseUnavailableDetails = {}) {
    super(message, details);
    this.name = 'RedisSseUnavailableError';
  }
}
