import type { SignedOutUsers } from './signed-out-users.interface.js';

/**
 * Signed-out users in this process: one entry per user (users come from
 * `SSE_TOKENS`, so that is bounded), dropped once its time is up. No timer:
 * ended entries go when they are read, or at the next sign-out.
 */
export class InMemorySignedOutUsers implements SignedOutUsers {
  /** User id to when the sign-out ends (ms since the epoch). */
  private readonly until = new Map<string, number>();

  add(userId: string, ttlMs: number): Promise<void> {
    const now = Date.now();
    for (const [id, ends] of this.until) if (ends <= now) this.until.delete(id);
    this.until.set(userId, now + ttlMs);
    return Promise.resolve();
  }

  has(userId: string): Promise<boolean> {
    const ends = this.until.get(userId);
    if (ends === undefined) return Promise.resolve(false);
    if (ends > Date.now()) return Promise.resolve(true);
    this.until.delete(userId);
    return Promise.resolve(false);
  }
}
