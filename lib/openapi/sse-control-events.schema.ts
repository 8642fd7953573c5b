import { ApiProperty, ApiPropertyOptional, ApiSchema } from '@nestjs/swagger';
import type { SseEndReason } from '../protocol/final-word.js';

/** Every reason of a final word; a `Record` so that a reason added to `SseEndReason` must be added here. */
const END_REASONS: Readonly<Record<SseEndReason, string>> = {
  completed: 'the source is done; do not reconnect',
  revoked: 'the credential or session was revoked; do not reconnect with it',
  shutdown: 'the instance is going away; reconnect and resume',
  lifetime: 'the stream reached its maximum lifetime; reconnect and resume',
  'auth-expired': 'the credential expired; reconnect with a fresh one',
  disconnected: 'the app ended the stream',
  error: 'the stream failed (`status` and `message` say how)',
};

/** The reasons of a final word, as the document lists them. */
export const SSE_END_REASONS = Object.keys(END_REASONS) as SseEndReason[];

/**
 * The data of the final word (`sse-end`): the schema `SseEndData` in
 * `components.schemas`. Reasons may add details; the three the library adds
 * are listed.
 */
@ApiSchema({
  name: 'SseEndData',
  description: `The JSON data of the final word a stream ends with. Reasons: ${Object.entries(END_REASONS)
    .map(([reason, meaning]) => `\`${reason}\` (${meaning})`)
    .join('; ')}.`,
})
export class SseEndDataSchema {
  @ApiProperty({ enum: SSE_END_REASONS, description: 'Why the server ended the stream.' })
  reason!: SseEndReason;

  @ApiPropertyOptional({ format: 'date-time', description: '`auth-expired`: when the credential expired.' })
  expiredAt?: string;

  @ApiPropertyOptional({
    type: 'integer',
    description: "`error`: the status of the failure (an HttpException's own, else 500).",
  })
  status?: number;

  @ApiPropertyOptional({ description: '`error`: a sanitized message.' })
  message?: string;
}

/** The data of the hub's reset event (`sse-reset`): the schema `SseResetData` in `components.schemas`. */
@ApiSchema({
  name: 'SseResetData',
  description:
    'The JSON data of the reset event: the `Last-Event-ID` could not be resumed without a gap. Its id is the current position; a client should reload its state.',
})
export class SseResetDataSchema {
  @ApiProperty({
    enum: ['expired', 'unknown'],
    description:
      '`expired`: the id is older than the history kept (the events still kept follow); `unknown`: the id belongs to another history or is ahead of it.',
  })
  reason!: 'expired' | 'unknown';

  @ApiProperty({ description: 'The `Last-Event-ID` the client sent.' })
  lastEventId!: string;
}
