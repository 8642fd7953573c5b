import { ServiceUnavailableException } from '@nestjs/common';

/** What `RedisSseUnavailableError` knows beyond what clients are told. */
export interface RedisSseUnavailableDetails {
  /** What happened, for logs: the address of Redis and the error of the OS or of the client. Default: the message. */
  detail?: string;
  /** The command was sent and not answered: the publish (or send) may have been done all the same. Default false. */
  maybePublished?: boolean;
  /** When a retry may succeed, in seconds. Default 5. */
  retryAfterSeconds?: number;
  /** The error of ioredis or Redis. */
  cause?: unknown;
}

/**
 * Redis could not be reached, or did not answer in time, for an operation
 * that needs it: publishing, sending to other instances, joining a channel,
 * reading history, taking a lock. An `HttpException` (503), so a request that
 * lets it escape is answered `503 Service Unavailable` with a body that says
 * only that, and when to retry:
 * `{ statusCode: 503, error: 'Service Unavailable', message, retryAfterSeconds }`.
 * The address of Redis and the underlying error are in `detail` (and
 * `cause`), for logs only; the broker logs them once per outage and reason.
 *
 * `maybePublished` tells a publish (or send) that was not sent, so nothing
 * happened, from one that Redis did not answer in time, which may have been
 * stored and delivered all the same: retry it with the same `idempotencyKey`
 * to publish it at most once.
 */
export class RedisSseUnavailableError extends ServiceUnavailableException {
  /** What happened, for logs: never sent to clients. */
  readonly detail: string;
  /** Whether the publish (or send) may have been done although it failed. */
  readonly maybePublished: boolean;
  /** When a retry may succeed, in seconds: a value for a `Retry-After` header. */
  readonly retryAfterSeconds: number;

  /** `message` is what clients are told: name no server, address or internal error in it. */
  constructor(message: string, details: RedisSseUnavailableDetails = {}) {
    const retryAfterSeconds = details.retryAfterSeconds ?? 5;
    super({ statusCode: 503, error: 'Service Unavailable', message, retryAfterSeconds }, { cause: details.cause });
    this.name = 'RedisSseUnavailableError';
    this.detail = details.detail ?? message;
    this.maybePublished = details.maybePublished ?? false;
    this.retryAfterSeconds = retryAfterSeconds;
  }
}
