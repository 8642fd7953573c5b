import type { Logger } from '@nestjs/common';
import { reasonOf } from './redis-sse-failure.js';
import { REDIS_SSE_MESSAGES } from './redis-sse.messages.js';

/**
 * Whether the broker's link to Redis is down, and why: the last error a
 * connection reported (what a refusal names), one log line when the link is
 * lost and one when it is back.
 */
export class RedisSseLinkHealth {
  private down = false;
  /** The last error a connection reported since the link was last up. */
  lastError: string | undefined;

  constructor(
    private readonly target: () => string,
    private readonly logger: Logger,
  ) {}

  /** Whether the link is known to be down (an outage was logged and is not over). */
  get isDown(): boolean {
    return this.down;
  }

  /** A connection or a command reported `error`. */
  failed(error: unknown): void {
    this.lastError = reasonOf(error);
  }

  /** A connection closed: the outage is logged once. */
  lost(): void {
    if (this.down) return;
    this.down = true;
    this.logger.error(
      REDIS_SSE_MESSAGES.linkLost(this.target(), this.lastError ?? REDIS_SSE_MESSAGES.connectionClosed()),
    );
  }

  /** Both connections are ready: returns whether that ends an outage (then logged). */
  restored(): boolean {
    if (!this.down) return false;
    this.down = false;
    this.lastError = undefined;
    this.logger.log(REDIS_SSE_MESSAGES.linkRestored(this.target()));
    return true;
  }
}
