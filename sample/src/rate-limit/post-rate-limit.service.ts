import { Inject, Injectable } from '@nestjs/common';
import { SAMPLE_CONFIG } from '../config/sample-config.module.js';
import type { SampleConfig } from '../config/sample-config.js';

/** One user's current window: how many POSTs it counted, and when it ends (ms since the epoch). */
interface PostWindow {
  count: number;
  endsAt: number;
}

/** What `PostRateLimitService.take()` decided. */
export type PostAllowance = { allowed: true } | { allowed: false; retryAfterSeconds: number };

/**
 * Counts each user's POSTs in fixed windows of `POST_WINDOW_MS`: the first
 * `POST_LIMIT` of a window are allowed, the rest refused until it ends. One
 * budget per user for every POST route together. It holds one entry per user
 * who posted in the current window (users come from `SSE_TOKENS`, so that is
 * bounded) and drops ended windows as it goes; it runs no timer.
 */
@Injectable()
export class PostRateLimitService {
  private readonly windows = new Map<string, PostWindow>();

  constructor(@Inject(SAMPLE_CONFIG) private readonly config: SampleConfig) {}

  /** Counts a POST of `userId`; says whether it is allowed, and if not, in how many seconds the next one is. */
  take(userId: string, now = Date.now()): PostAllowance {
    let window = this.windows.get(userId);
    if (!window || window.endsAt <= now) {
      this.sweep(now);
      window = { count: 0, endsAt: now + this.config.postWindowMs };
      this.windows.set(userId, window);
    }
    if (window.count >= this.config.postLimit) {
      return { allowed: false, retryAfterSeconds: Math.max(1, Math.ceil((window.endsAt - now) / 1000)) };
    }
    window.count++;
    return { allowed: true };
  }

  private sweep(now: number): void {
    for (const [userId, window] of this.windows) if (window.endsAt <= now) this.windows.delete(userId);
  }
}
