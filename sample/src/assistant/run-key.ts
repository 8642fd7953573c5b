import { BadRequestException } from '@nestjs/common';

/** The header that carries the id of the run a `POST /assistant/runs` starts (or joins, when it is retried). */
export const RUN_KEY_HEADER = 'idempotency-key';

/**
 * The run id of a `POST /assistant/runs`, from its `Idempotency-Key` header:
 * chosen by the client (a UUID), it is what the client resumes and stops the
 * answer with, and it makes a retried POST join the run instead of starting
 * a second one. 400 without it; its format (1 to 128
 * letters, digits, `-` or `_`) is checked by `SseRuns`, whose 400 says so.
 */
export function runKeyOf(header: unknown): string {
  if (typeof header !== 'string' || header === '') {
    throw new BadRequestException(
      'the Idempotency-Key header is required: the id of the run (a UUID of your choice), to resume and stop the answer with',
    );
  }
  return header;
}
