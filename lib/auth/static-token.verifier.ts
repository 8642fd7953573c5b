import { createHash, timingSafeEqual } from 'node:crypto';
import type { SseTokenVerifier, SseVerifyResult } from './sse-token-verifier.interface.js';

function digest(token: string): Buffer {
  return createHash('sha256').update(token, 'utf8').digest();
}

/**
 * A fixed set of tokens, each with its user (or `{ user, expiresAt }`): API
 * keys, service tokens, tests. Every comparison is made in constant time over
 * SHA-256 digests (all of the same length), against every known token, so
 * neither the length of a token nor how much of it matched shows in the time
 * taken.
 *
 * @example
 * SseModule.forRoot({
 *   auth: { verifier: new StaticTokenVerifier({ [process.env.DASHBOARD_TOKEN!]: { id: 'dashboard' } }) },
 * });
 */
export class StaticTokenVerifier<User = unknown> implements SseTokenVerifier<User> {
  private readonly entries: { digest: Buffer; result: SseVerifyResult<User> }[] = [];

  constructor(tokens: Record<string, SseVerifyResult<User>> | Map<string, SseVerifyResult<User>>) {
    const pairs = tokens instanceof Map ? [...tokens] : Object.entries(tokens ?? {});
    for (const [token, result] of pairs) {
      if (typeof token !== 'string' || token.length === 0) {
        throw new Error('nestjs-event-stream: StaticTokenVerifier tokens must be non-empty strings.');
      }
      this.entries.push({ digest: digest(token), result });
    }
  }

  /** The result given for `token`, or `null` for an unknown one. */
  verify(token: string): SseVerifyResult<User> {
    if (typeof token !== 'string') return null;
    const candidate = digest(token);
    let found: SseVerifyResult<User> = null;
    for (const entry of this.entries) {
      // No early exit: every entry is compared whatever matched before.
      if (timingSafeEqual(candidate, entry.digest)) found = entry.result;
    }
    return found;
  }
}
