import { encodeEvent } from './encode-event.js';
import { jsonSerializer } from './sse-serializer.js';

/**
 * Why the server ended a stream, as its final word says (`data.reason`):
 * - `completed`: the source is done; do not reconnect.
 * - `revoked`: the credential or session was revoked; do not reconnect with it.
 * - `shutdown`: the instance is going away; reconnect (after `retry:`) and resume.
 * - `lifetime`: the stream reached `maxLifetimeMs`; reconnect and resume.
 * - `auth-expired`: the credential expired; reconnect with a fresh one.
 * - `disconnected`: the app ended it (`SseHub.disconnect()`); a browser reconnects.
 * - `error`: the stream failed (`status` and a sanitized `message` say how).
 */
export type SseEndReason =
  'completed' | 'revoked' | 'shutdown' | 'lifetime' | 'auth-expired' | 'disconnected' | 'error';

/** The `data` of a final word: the reason, and what that reason adds (`expiredAt`, `status`, `message`). */
export interface SseEndData {
  readonly reason: SseEndReason;
  readonly [detail: string]: unknown;
}

/**
 * The frame of a stream's final word: one event named `name` whose data is
 * `{"reason": ..., ...details}` as JSON (always JSON, whatever the stream's
 * serializer, so that every client reads it the same way), with a `retry:`
 * hint when `retryMs` is given. `''` when `name` is `false` (no final word).
 */
export function encodeFinalWord(
  name: string | false,
  reason: SseEndReason,
  details?: Readonly<Record<string, unknown>>,
  retryMs?: number,
): string {
  if (name === false) return retryMs === undefined ? '' : `retry: ${retryMs}\n\n`;
  // `reason` first on the wire, and never overridden by a detail.
  const data: SseEndData = Object.assign({ reason }, details, { reason });
  return encodeEvent({ event: name, retry: retryMs, data }, jsonSerializer);
}
