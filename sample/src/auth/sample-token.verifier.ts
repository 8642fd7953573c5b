import { Inject, Injectable } from '@nestjs/common';
import { StaticTokenVerifier, type SseTokenVerifier } from 'nestjs-event-stream';
import { SAMPLE_CONFIG } from '../config/sample-config.module.js';
import type { SampleConfig } from '../config/sample-config.js';
import { SIGNED_OUT_USERS, type SignedOutUsers } from '../sessions/signed-out-users.interface.js';
import type { SampleUser } from './sample-user.js';

/**
 * The sample's one verifier (`auth.verifier`): what the streams'
 * `StreamAuthGuard`, the POSTs' `BearerAuthGuard` and so `POST /tickets` ask
 * (a ticket is checked against the signed-out users by `StreamAuthGuard`).
 * A token of `SSE_TOKENS` (compared in constant time by
 * `StaticTokenVerifier`), unless its user signed out everywhere less than
 * `SIGN_OUT_MS` ago: then it is refused (401), so that a browser's
 * `EventSource`, which reconnects after the revoked stream ended, stops.
 *
 * The demo tokens never expire, so `SIGN_OUT_MS` stands in for "until the
 * token would have expired anyway"; after it the demo token works again. A
 * real app keeps the revoked session ids until their tokens' `exp`
 * (docs/lifecycle.md, "Revocation on every instance").
 */
@Injectable()
export class SampleTokenVerifier implements SseTokenVerifier<SampleUser> {
  private readonly tokens: StaticTokenVerifier<SampleUser>;

  constructor(
    @Inject(SAMPLE_CONFIG) config: SampleConfig,
    @Inject(SIGNED_OUT_USERS) private readonly signedOut: SignedOutUsers,
  ) {
    this.tokens = new StaticTokenVerifier(new Map([...config.tokens].map(([token, id]) => [token, { id }])));
  }

  async verify(token: string): Promise<SampleUser | null> {
    const user = this.tokens.verify(token) as SampleUser | null;
    if (!user) return null;
    return (await this.signedOut.has(user.id)) ? null : user;
  }
}
