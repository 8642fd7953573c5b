import { Controller, Header, HttpCode, HttpStatus, Inject, Post, UseGuards } from '@nestjs/common';
import { SseHub } from 'nestjs-event-stream';
import { BearerAuthGuard } from '../auth/bearer-auth.guard.js';
import { CurrentUser, type SampleUser } from '../auth/sample-user.js';
import { SAMPLE_CONFIG } from '../config/sample-config.module.js';
import type { SampleConfig } from '../config/sample-config.js';
import { PostRateLimitGuard } from '../rate-limit/post-rate-limit.guard.js';
import { SIGNED_OUT_USERS, type SignedOutUsers } from './signed-out-users.interface.js';

/** What `POST /sign-out-everywhere` answers. */
export interface SignOutAnswer {
  /** The user who signed out. */
  user: string;
  /** Until when the user's tokens are refused (ISO 8601): `SIGN_OUT_MS` from now. */
  refusedUntil: string;
}

@Controller('sign-out-everywhere')
export class SignOutController {
  constructor(
    private readonly hub: SseHub,
    @Inject(SIGNED_OUT_USERS) private readonly signedOut: SignedOutUsers,
    @Inject(SAMPLE_CONFIG) private readonly config: SampleConfig,
  ) {}

  /**
   * POST /sign-out-everywhere (Bearer header): ends every stream of the user,
   * on every instance, with the final word `revoked`, and refuses the user's
   * tokens for `SIGN_OUT_MS` (see `SampleTokenVerifier`). The sign-out is
   * recorded first, so that the reconnects of the streams it ends are
   * refused. Counts against the user's POST budget (429 past it).
   */
  @UseGuards(BearerAuthGuard, PostRateLimitGuard)
  @Post()
  @HttpCode(HttpStatus.OK)
  @Header('Cache-Control', 'no-store')
  async signOutEverywhere(@CurrentUser() user: SampleUser): Promise<SignOutAnswer> {
    const { signOutMs } = this.config;
    const refusedUntil = new Date(Date.now() + signOutMs).toISOString();
    await this.signedOut.add(user.id, signOutMs);
    await this.hub.revoke({ userId: user.id });
    return { user: user.id, refusedUntil };
  }
}
