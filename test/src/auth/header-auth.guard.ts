import { Injectable } from '@nestjs/common';
import { SseAuthGuard, type SseRequest } from '../../../lib/index.js';

/**
 * Header auth for ordinary routes, as an app would have it: the
 * `Authorization: Bearer` header only, never a ticket. It guards the call
 * that issues tickets; `SseAuthGuard` lets non-stream routes through by
 * design, so this subclass, built through its protected hooks, applies it to
 * every route it guards.
 */
@Injectable()
export class HeaderAuthGuard extends SseAuthGuard {
  protected override shouldSkip(): boolean {
    return false;
  }
  protected override extractTicket(): undefined {
    return undefined;
  }
  protected override extractToken(request: SseRequest): string | undefined {
    const header = request.headers.authorization;
    return typeof header === 'string' ? /^Bearer +(.*)$/.exec(header)?.[1] : undefined;
  }
}
