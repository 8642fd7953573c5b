import { Global, Module } from '@nestjs/common';
import { PostRateLimitService } from './post-rate-limit.service.js';

/**
 * The per-user POST budget, one for the whole app: the `PostRateLimitGuard`
 * of every feature module asks this one service.
 */
@Global()
@Module({ providers: [PostRateLimitService], exports: [PostRateLimitService] })
export class RateLimitModule {}
