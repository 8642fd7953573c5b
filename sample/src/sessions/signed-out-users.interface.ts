/** Injection token of the app's `SignedOutUsers` store. */
export const SIGNED_OUT_USERS = 'SAMPLE:SIGNED_OUT_USERS';

/**
 * The users who signed out everywhere, each for a while: what the sample's
 * verifier (`SampleTokenVerifier`) checks before it accepts a token. In
 * memory by default (`InMemorySignedOutUsers`); on Redis when the sample runs
 * on Redis (`RedisSignedOutUsers`), so that every instance refuses.
 */
export interface SignedOutUsers {
  /** Remembers that `userId` signed out, for `ttlMs` from now (a later sign-out starts it again). */
  add(userId: string, ttlMs: number): Promise<void>;
  /** Whether `userId` signed out less than its `ttlMs` ago. */
  has(userId: string): Promise<boolean>;
}
