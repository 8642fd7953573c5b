import { Injectable } from '@nestjs/common';
import { SseAuthGuard, type SseRequest } from 'nestjs-event-stream';

/**
 * Authenticates ordinary (state-changing) requests, such as the POST routes,
 * with the same verifier as the streams but from the `Authorization: Bearer`
 * header only: a cookie, a query token or a stream ticket must never
 * authorize a POST (a cookie would make it open to cross-site request
 * forgery). It guards `POST /tickets` too, which issues the page's tickets.
 *
 * `SseAuthGuard` lets non-stream routes through by design; this subclass,
 * built through its protected hooks, applies it to every route it guards.
 */
@Injectable()
export class BearerAuthGuard extends SseAuthGuard {
  protected override shouldSkip(): boolean {
    return false;
  }

  /** Never a stream ticket: a ticket opens one stream, and authorizes nothing else. */
  protected override extractTicket(): undefined {
    return undefined;
  }

  protected override extractToken(request: SseRequest): string | undefined {
    const header = request.headers.authorization;
    return typeof header !== 'string' ? undefined : (/^Bearer +(.*)$/is.exec(header)?.[1] ?? '');
  }
}
