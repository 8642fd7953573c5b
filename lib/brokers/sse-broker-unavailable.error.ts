import { ServiceUnavailableException } from '@nestjs/common';

/** What an `SseBrokerUnavailableError` knows beyond what clients are told. */
export interface SseBrokerUnavailableDetails {
  /** What happened, for logs: the address of the service and the error of the OS or of the client. Default: the message. */
  detail?: string;
  /** The command was sent and not answered: the publish (or send) may have been done all the same. Default false. */
  maybePublished?: boolean;
  /** When a retry may succeed, in seconds. Default 5. */
  retryAfterSeconds?: number;
  /** The error of the client library or of the server. */
  cause?: unknown;
}

/**
 * A broker's backing service (Redis, PostgreSQL, NATS) could not be reached,
 * or did not answer in time, for an operation that needs it: publishing,
 * sending to other instances, joining a channel, reading history, taking a
 * schedule lock. An `HttpException` (503), so a request that lets it escape
 * is answered `503 Service Unavailable` with a body that says only that, and
 * when to retry: `{ statusCode: 503, error: 'Service Unavailable', message,
 * retryAfterSeconds }`. Where the service is and what failed are in
 * `detail` (and `cause`), for logs only.
 *
 * `maybePublished` tells a publish (or send) that was not sent, so nothing
 * happened, from one that was not answered in time, which may have been
 * stored and delivered all the same: retry it with the same `idempotencyKey`
 * to publish it at most once.
 *
 * Each broker rejects with its own subclass (`RedisSseUnavailableError`,
 * `PostgresSseUnavailableError`, `NatsSseUnavailableError`); catch this one
 * to handle them all. The scheduler recognises it by `brokerUnavailable`, so
 * that it never loads a broker's module.
 */
export class SseBrokerUnavailableError extends ServiceUnavailableException {
  /** Marks every broker's unavailable error, whatever copy of the package made it. */
  readonly brokerUnavailable = true;
  /** What happened, for logs: never sent to clients. */
  readonly detail: string;
  /** Whether the publish (or send) may have been done although it failed. */
  readonly maybePublished: boolean;
  /** When a retry may succeed, in seconds: a value for a `Retry-After` header. */
  readonly retryAfterSeconds: number;

  /** `message` is what clients are told: name no server, address or internal error in it. */
  constructor(message: string, details: SseBrokerUnavailableDetails = {}) {
    const retryAfterSeconds = details.retryAfterSeconds ?? 5;
    super({ statusCode: 503, error: 'Service Unavailable', message, retryAfterSeconds }, { cause: details.cause });
    this.name = 'SseBrokerUnavailableError';
    this.detail = details.detail ?? message;
    this.maybePublished = details.maybePublished ?? false;
    this.retryAfterSeconds = retryAfterSeconds;
  }
}

/** Whether `error` is a broker's unavailable error (by its mark, not its class: see `SseBrokerUnavailableError`). */
export function isBrokerUnavailable(error: unknown): error is SseBrokerUnavailableError {
  return (error as { brokerUnavailable?: unknown } | null)?.brokerUnavailable === true;
}
