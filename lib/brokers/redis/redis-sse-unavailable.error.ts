import { ServiceUnavailableException } from '@nestjs/common';

/**
 * Redis could not be reached (or did not answer in time) for an operation
 * that needs it: publishing, sending to other instances, reading history,
 * taking a lock. Nothing was sent. An `HttpException` (503), so a request that
 * lets it escape is answered `503 Service Unavailable`.
 */
export class RedisSseUnavailableError extends ServiceUnavailableException {
  constructor(message: string, cause?: unknown) {
    super(message, { cause });
    this.name = 'RedisSseUnavailableError';
  }
}
