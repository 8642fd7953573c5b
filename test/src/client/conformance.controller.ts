import {
  Body,
  Controller,
  ForbiddenException,
  Get,
  Header,
  Injectable,
  UnauthorizedException,
  UseGuards,
  type CanActivate,
  type ExecutionContext,
} from '@nestjs/common';
import { concat, interval, map, of, take, throwError } from 'rxjs';
import { EventStream, SseAuthGuard, SseClient, SseHub, sseEventsOf, type SseRequest } from '../../../lib/index.js';

/** The event map the server and the typed client share in these tests. */
export interface ConformanceEvents {
  tick: { n: number };
  text: string;
  echo: { topic: string; n: number };
  step: { step: number };
}

/** Typed envelopes for {@link ConformanceEvents}. */
export const conformanceEvent = sseEventsOf<ConformanceEvents>();

/** Every request a stream route got: its route, `Last-Event-ID` and `Authorization` (`null`: none). */
export interface SeenRequest {
  route: string;
  lastEventId: string | null;
  authorization: string | null;
}

/** The requests the fixture saw, in order; cleared by the suites. */
export const seen: SeenRequest[] = [];

function record(route: string, client: SseClient): void {
  const header = client.request.headers?.authorization;
  seen.push({
    route,
    lastEventId: client.lastEventId ?? null,
    authorization: typeof header === 'string' ? header : null,
  });
}

/** Names the user from the `x-user` header (for `SseHub.revoke()`). */
@Injectable()
export class UserFromHeader implements CanActivate {
  canActivate(context: ExecutionContext): boolean {
    const request = context.switchToHttp().getRequest<SseRequest>();
    const user = request.headers?.['x-user'];
    if (typeof user === 'string') request.user = { id: user };
    return true;
  }
}

/** How many times each route that changes between calls ran. */
const calls = new Map<string, number>();
const nth = (route: string) => {
  const n = calls.get(route) ?? 0;
  calls.set(route, n + 1);
  return n;
};

/** Forgets the requests and the call counts. */
export function resetConformance(): void {
  seen.length = 0;
  calls.clear();
}

/** The routes of the conformance suite: every way a stream opens, refuses and ends. */
@Controller()
export class ConformanceController {
  constructor(private readonly hub: SseHub) {}

  /** Three ticks, then the final word `completed`. */
  @EventStream('ticks')
  ticks(@SseClient() client: SseClient) {
    record('ticks', client);
    return interval(5).pipe(
      take(3),
      map((n) => conformanceEvent('tick', { n }, { id: `t${n}` })),
    );
  }

  /** Framing edge cases: multi-line data (LF, CRLF, CR), empty data, falsy ids, unicode. */
  @EventStream('framing')
  framing() {
    return of(
      conformanceEvent('text', 'one\ntwo\r\nthree\rfour', { id: 0 }),
      conformanceEvent('text', ''),
      conformanceEvent('text', '0'),
      conformanceEvent('text', '😀 é ü 中文 \u2028'),
      conformanceEvent('text', '  two spaces kept, one after the colon eaten'),
      conformanceEvent('text', ':not a comment'),
    );
  }

  @EventStream('no-content')
  noContent(@SseClient() client: SseClient) {
    record('no-content', client);
    return null;
  }

  @EventStream('unauthorized')
  unauthorized(@SseClient() client: SseClient) {
    record('unauthorized', client);
    throw new UnauthorizedException('token expired: sign in again');
  }

  @EventStream('forbidden')
  forbidden(@SseClient() client: SseClient) {
    record('forbidden', client);
    throw new ForbiddenException(['not your room', 'ask its owner']);
  }

  @Get('html')
  @Header('content-type', 'text/html; charset=utf-8')
  html() {
    return '<!doctype html><title>login</title>';
  }

  /** One step, then fails (final word `error`, 500) the first time; completes the second. */
  @EventStream('fail-once')
  failOnce(@SseClient() client: SseClient) {
    record('fail-once', client);
    const first = nth('fail-once') === 0;
    const step = of(conformanceEvent('step', { step: first ? 1 : 2 }, { id: first ? 's1' : 's2' }));
    return first
      ? concat(
          step,
          throwError(() => new Error('boom')),
        )
      : step;
  }

  /** Ends with no final word (`endEventName: false`), as a plain server does: the client reconnects. */
  @EventStream('no-final-word', { endEventName: false })
  noFinalWord(@SseClient() client: SseClient) {
    record('no-final-word', client);
    const n = nth('no-final-word');
    return of(conformanceEvent('step', { step: n }, { id: `p${n}` }));
  }

  /** A hub channel stream: `hub.disconnect()`, `revoke()` and shutdown end it. */
  @EventStream('feed')
  @UseGuards(UserFromHeader)
  feed(@SseClient() client: SseClient) {
    record('feed', client);
    return this.hub.join(client, 'feed');
  }

  /** A hub channel stream that ends at its lifetime (60 ms). */
  @EventStream('short-lived', { maxLifetimeMs: 60, maxLifetimeJitter: 0 })
  shortLived(@SseClient() client: SseClient) {
    record('short-lived', client);
    return this.hub.join(client, 'ticks');
  }

  /** A hub channel stream behind `SseAuthGuard`: a token `short-*` expires in 60 ms. */
  @EventStream('authed')
  @UseGuards(SseAuthGuard)
  authed(@SseClient() client: SseClient) {
    record('authed', client);
    return this.hub.join(client, 'authed');
  }

  /** A POST stream that echoes its JSON body. */
  @EventStream('search', { method: 'POST' })
  search(@SseClient() client: SseClient, @Body() body: { topic: string }) {
    record('search', client);
    return of(
      conformanceEvent('echo', { topic: body.topic, n: 1 }),
      conformanceEvent('echo', { topic: body.topic, n: 2 }),
    );
  }
}

/** The auth verifier of the `authed` route: `short-*` tokens expire in 60 ms, others in a minute. */
export function verifyToken(token: string) {
  return { user: { id: 'u' }, expiresAt: Date.now() + (token.startsWith('short-') ? 60 : 60_000) };
}

/** The module options every conformance app starts with: quick retries, no heartbeats, the `authed` verifier. */
export const CONFORMANCE_OPTIONS = {
  retryMs: 20,
  heartbeatMs: 0,
  maxAnonymousConnectionsPerAddress: Infinity,
  auth: { verify: verifyToken },
};
