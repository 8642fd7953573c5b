import { HttpException, HttpStatus } from '@nestjs/common';

/** 429: no job may start now. Carries when one will have ended, for the `Retry-After` header. */
export class TooManyJobsException extends HttpException {
  constructor(
    message: string,
    /** Seconds until a job that counts against the cap ends. */
    readonly retryAfterSeconds: number,
  ) {
    super(
      HttpException.createBody(message, 'Too Many Requests', HttpStatus.TOO_MANY_REQUESTS),
      HttpStatus.TOO_MANY_REQUESTS,
    );
  }
}
