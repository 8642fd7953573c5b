import { HttpException, HttpStatus, Inject, Injectable, type CanActivate, type ExecutionContext } from '@nestjs/common';
import { HttpAdapterHost } from '@nestjs/core';
import type { SampleUser } from '../auth/sample-user.js';
import { SAMPLE_CONFIG } from '../config/sample-config.module.js';
import type { SampleConfig } from '../config/sample-config.js';
import { PostRateLimitService } from './post-rate-limit.service.js';

/**
 * Limits each user to `POST_LIMIT` POSTs per `POST_WINDOW_MS` (all POST
 * routes together): past it, 429 with `Retry-After` (seconds) and a message
 * saying the limit. Put it after `BearerAuthGuard`, which sets `request.user`
 * (`@UseGuards(BearerAuthGuard, PostRateLimitGuard)`), so that a request
 * refused for its token counts against no one.
 *
 * The sample's own few lines rather than `@nestjs/throttler`: its current
 * release (6.x) is CommonJS and `require`s `@nestjs/common`, which is ESM-only
 * from Nest 12; Node 20.19+ loads that, but Jest (which boots the sample in
 * its tests) cannot on Node before 24.9.
 */
@Injectable()
export class PostRateLimitGuard implements CanActivate {
  constructor(
    private readonly limits: PostRateLimitService,
    @Inject(SAMPLE_CONFIG) private readonly config: SampleConfig,
    private readonly adapterHost: HttpAdapterHost,
  ) {}

  canActivate(context: ExecutionContext): boolean {
    const http = context.switchToHttp();
    const user = http.getRequest<{ user?: SampleUser }>().user;
    if (!user) return true;
    const allowance = this.limits.take(user.id);
    if (allowance.allowed) return true;
    // Through the platform's adapter: an Express response and a Fastify reply set headers differently.
    this.adapterHost.httpAdapter.setHeader(http.getResponse(), 'Retry-After', String(allowance.retryAfterSeconds));
    const { postLimit, postWindowMs } = this.config;
    throw new HttpException(
      HttpException.createBody(
        `too many requests: at most ${postLimit} POSTs per user every ${postWindowMs / 1000} s; ` +
          `retry in ${allowance.retryAfterSeconds} s`,
        'Too Many Requests',
        HttpStatus.TOO_MANY_REQUESTS,
      ),
      HttpStatus.TOO_MANY_REQUESTS,
    );
  }
}
