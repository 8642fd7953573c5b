import { encodeFinalWord, type SseEndReason } from '../protocol/final-word.js';
import type { SseCloseReason } from './sse-client.interface.js';
import type { ResolvedSseStreamOptions } from './sse-stream-options.interface.js';

/** The close reasons a server-side end says with a final word, and the word it says (a frame error is an `error`). */
const FINAL_WORDS: Partial<Record<SseCloseReason, SseEndReason>> = {
  completed: 'completed',
  error: 'error',
  'frame-error': 'error',
  disconnected: 'disconnected',
  shutdown: 'shutdown',
  lifetime: 'lifetime',
  'auth-expired': 'auth-expired',
  revoked: 'revoked',
};

/** What a final word says besides its reason. */
export interface SseFinalWordInit {
  /** Fields of its data besides `reason` (`expiredAt`, `status`, `message`). */
  readonly details?: Readonly<Record<string, unknown>>;
  /** A `retry:` hint in the same frame: when the client is to reconnect. */
  readonly retryMs?: number;
  /** A name for this word other than `endEventName` (the deprecated per-reason names). */
  readonly eventName?: string;
}

/**
 * The last frame of a stream the server ends with `reason`: its final word
 * (named by `endEventName`, or the deprecated per-reason name), or `''` for
 * a reason that has none (`client-closed`, `slow-client`, `no-content`).
 */
export function finalWordFrame(
  options: Pick<ResolvedSseStreamOptions, 'endEventName' | 'errorEventName'>,
  reason: SseCloseReason,
  word: SseFinalWordInit,
): string {
  const said = FINAL_WORDS[reason];
  if (said === undefined) return '';
  const name = word.eventName ?? (said === 'error' ? options.errorEventName : undefined) ?? options.endEventName;
  return encodeFinalWord(name, said, word.details, word.retryMs);
}
