import {
  HttpException,
  Inject,
  Injectable,
  Logger,
  Optional,
  UnauthorizedException,
  type CanActivate,
  type ExecutionContext,
} from '@nestjs/common';
import { Reflector } from '@nestjs/core';
import { SSE_STREAM_OPTIONS_METADATA } from '../sse.constants.js';
import { SSE_MESSAGES, errorMessage } from '../sse.messages.js';
import type { SseRequest } from '../stream/sse-client.interface.js';
import { SseAuthService } from './sse-auth.service.js';
import { SseStreamRegistry } from '../stream/sse-stream-registry.js';
import type { SseAuthResult, SseVerifyResult } from './sse-token-verifier.interface.js';
import { isWellFormedToken, readTokenSource, redact } from './token-sources.js';
import { findRequestToken, headerSourceHint, isSafeMethod } from './request-token.js';
import type { SseTicketRecord } from './sse-tickets.js';

/**
 * Why a request was refused with 401: no token, a token refused or expired,
 * a token only in a source this request may not use (a cookie or a URL
 * token on a POST event stream), or a ticket that is malformed, unknown,
 * used or expired.
 */
export type SseUnauthorizedReason = 'missing' | 'invalid' | 'expired' | 'source-not-allowed' | 'ticket';

/**
 * Whether a verifier's result is an `SseAuthResult` rather than a user: an
 * object that has `user` and no key but `user` and `expiresAt`.
 */
export function isSseAuthResult(value: unknown): value is SseAuthResult {
  if (typeof value !== 'object' || value === null || !('user' in value)) return false;
  return Object.keys(value).every((key) => key === 'user' || key === 'expiresAt');
}

/**
 * Authenticates event streams with a token, before any stream byte: it takes
 * the token from the sources of `auth.from` (in order), has `auth.verify`
 * check it and sets `request.user` (the hub's `sendToUser()` and per-user
 * limits use `request.user.id`, else `.sub`). A missing or refused token
 * answers `401` with `WWW-Authenticate: Bearer` and a JSON body, which makes
 * a browser's EventSource stop for good. When the credential expires, the
 * stream ends with the final word `auth-expired`; when it expires
 * before the stream has opened (a slow `canJoin`, a slow handler), the stream
 * is refused with 401 before any byte.
 *
 * Cookies, query and path tokens authenticate `GET` and `HEAD` requests only:
 * a POST event stream needs a header (or `auth.allowCookieOnPost`).
 *
 * With `auth.tickets`, a `GET` or `HEAD` with `?ticket=` is authenticated by
 * redeeming that single-use ticket (see `SseTickets`) instead of a token: a
 * used, unknown or expired one answers 401, like a refused token.
 *
 * Use it on a route, a controller or as a global guard (`APP_GUARD`). It acts
 * on `@EventStream()` routes only and lets every other route through: cookie
 * and query tokens must not authenticate ordinary (state-changing) requests.
 *
 * Built to be extended, like `ThrottlerGuard`: override `extractToken()`,
 * `verifyToken()`, `getUser()`, `getExpiresAt()`, `extractTicket()`,
 * `redeemTicket()` or `shouldSkip()`.
 *
 * @example
 * \@UseGuards(SseAuthGuard)
 * \@EventStream('feed')
 * feed(\@SseClient() client: SseClient) {
 *   return this.hub.join(client, `user:${(client.user as User).id}`);
 * }
 */
@Injectable()
export class SseAuthGuard implements CanActivate {
  protected readonly logger = new Logger('SseAuthGuard');
  protected readonly auth: SseAuthService;
  /** Whether tokens can be checked: a verifier is set, or `verifyToken()` is overridden. Tickets only, otherwise. */
  private readonly checksTokens: boolean;
  /** Where refusals are counted (`SseHub.stats().refused`); injected as a property, so subclasses' constructors stay as they are. */
  @Optional() @Inject(SseStreamRegistry) private readonly sseStreamRegistry?: SseStreamRegistry;

  constructor(
    @Optional() @Inject(SseAuthService) auth: SseAuthService | undefined,
    protected readonly reflector: Reflector,
  ) {
    if (!auth) throw new Error(SSE_MESSAGES.authModuleNotImported(new.target.name));
    this.auth = auth;
    this.checksTokens = auth.hasVerifier || this.verifyToken !== SseAuthGuard.prototype.verifyToken;
    if (!this.checksTokens && !auth.tickets.enabled) throw new Error(SSE_MESSAGES.authNoVerifier(new.target.name));
  }

  async canActivate(context: ExecutionContext): Promise<boolean> {
    try {
      return await this.authenticate(context);
    } catch (error) {
      // Counted here, whichever hook refused: 401, or the 503 of an unreachable ticket store. Not a HEAD:
      // it would never have been a stream (the interceptor answers it without one), so nothing was refused.
      const method = context.switchToHttp().getRequest<SseRequest>()?.method;
      if (error instanceof HttpException && method !== 'HEAD') this.sseStreamRegistry?.refused(error.getStatus());
      throw error;
    }
  }

  private async authenticate(context: ExecutionContext): Promise<boolean> {
    if (await this.shouldSkip(context)) return true;
    const request = context.switchToHttp().getRequest<SseRequest>();

    const ticket = await this.extractTicket(request, context);
    if (ticket !== undefined) {
      const record = await this.redeemTicket(ticket, request);
      if (!record) return this.refuse(context, 'ticket', SSE_MESSAGES.ticketRefusedLog());
      return this.admit(context, request, record.user, record.expiresAt);
    }
    if (!this.checksTokens) return this.refuse(context, 'missing');

    const token = await this.extractToken(request, context);
    if (token === undefined) return this.refuse(context, 'missing');
    if (!isWellFormedToken(token)) return this.refuse(context, 'invalid', 'malformed token');

    let result: SseVerifyResult;
    try {
      result = await this.verifyToken(token, request);
    } catch (error) {
      if (error instanceof HttpException) throw error;
      this.logger.warn(SSE_MESSAGES.authVerifyFailed(redact(errorMessage(error), token)));
      return this.refuse(context, 'invalid', 'the verifier threw');
    }

    const user = this.getUser(result);
    if (user === undefined || user === null || user === false) {
      return this.refuse(context, 'invalid', 'refused by the verifier');
    }
    return this.admit(context, request, user, this.getExpiresAt(result, user));
  }

  /**
   * Lets the request in as `user`, held to the credential's expiry: sets
   * `request.user`, or refuses with 401 when `expiresAt` is invalid or past.
   */
  private admit(context: ExecutionContext, request: SseRequest, user: unknown, expiresAt: number | undefined): true {
    if (expiresAt !== undefined) {
      if (!Number.isFinite(expiresAt)) {
        this.logger.warn(SSE_MESSAGES.authInvalidExpiry());
        return this.refuse(context, 'invalid', 'invalid expiry');
      }
      if (expiresAt <= Date.now()) return this.refuse(context, 'expired');
      // Armed now, from the expiry just verified: the stream is held to it while it opens and once open.
      this.auth.holdToExpiry(request, context.switchToHttp().getResponse(), expiresAt);
    }
    request.user = user;
    return true;
  }

  /**
   * Whether this request needs no token. Default: anything but an HTTP
   * request to an `@EventStream()` route.
   */
  protected shouldSkip(context: ExecutionContext): boolean | Promise<boolean> {
    if (context.getType() !== 'http') return true;
    return this.reflector.get(SSE_STREAM_OPTIONS_METADATA, context.getHandler()) === undefined;
  }

  /**
   * The token of the request, or `undefined` when it carries none. Default:
   * the first of `auth.from` that holds one and that the request may use:
   * any source for `GET` and `HEAD`, header sources only for other methods
   * (plus cookies from the origins of `auth.allowCookieOnPost`). A request
   * whose only token is in a source it may not use is refused with 401 and a
   * message naming that source and what to send instead.
   */
  protected extractToken(
    request: SseRequest,
    context: ExecutionContext,
  ): string | undefined | Promise<string | undefined> {
    const { from, cookieOnPostOrigins, tickets } = this.auth.options;
    // The ticket parameter last: a ticket on a POST (never redeemed) is then named by the refusal, if nothing else is found.
    const found = findRequestToken(request, tickets ? [...from, tickets.source] : from, cookieOnPostOrigins);
    if (found === undefined || 'token' in found) return found?.token;
    const method = (request.method ?? 'POST').toUpperCase();
    const instead = headerSourceHint(from) ?? SSE_MESSAGES.authNoHeaderSource();
    const message =
      found.why === 'origin'
        ? SSE_MESSAGES.authCookieOriginNotAllowed(found.ignored.label, method, instead)
        : SSE_MESSAGES.authSourceNotAllowed(found.ignored.label, method, instead);
    return this.refuse(context, 'source-not-allowed', message);
  }

  /**
   * The single-use ticket of the request, or `undefined` when it carries none
   * (the token sources are tried then). Default: with `auth.tickets`, the
   * `auth.tickets.query` parameter of a `GET` or `HEAD` request. Never that of
   * another method: a ticket on a `POST` is ignored, and the refusal names it
   * when no header authenticates the request.
   */
  protected extractTicket(
    request: SseRequest,
    _context: ExecutionContext,
  ): string | undefined | Promise<string | undefined> {
    const source = this.auth.options.tickets?.source;
    return source && isSafeMethod(request) ? readTokenSource(request, source) : undefined;
  }

  /**
   * Redeems a ticket, once: what it was issued for (its user becomes
   * `request.user`, as it is), or `undefined` to refuse it with 401. Default:
   * `SseTickets.redeem()`, which refuses a malformed ticket without asking
   * the store. An `HttpException` thrown here answers with its own status
   * (503 when the ticket store cannot be reached).
   */
  protected redeemTicket(ticket: string, _request: SseRequest): Promise<SseTicketRecord | undefined> {
    return this.auth.tickets.redeem(ticket);
  }

  /**
   * Checks a (well-formed) token: the user, an `SseAuthResult`, or a falsy
   * value to refuse it. Default: `auth.verify` / `auth.verifier`. An
   * `HttpException` thrown here answers with its own status; any other error
   * answers 401 (and is logged without the token).
   */
  protected verifyToken(token: string, request: SseRequest): SseVerifyResult | Promise<SseVerifyResult> {
    return this.auth.verify(token, request);
  }

  /** The user of a verification result (what becomes `request.user`). */
  protected getUser(result: SseVerifyResult): unknown {
    return isSseAuthResult(result) ? result.user : result;
  }

  /**
   * When the credential expires, in ms since the epoch, or `undefined` for
   * never: `expiresAt` of an `SseAuthResult`, else the JWT `exp` claim (in
   * seconds) of the user, if it has one.
   */
  protected getExpiresAt(result: SseVerifyResult, user: unknown): number | undefined {
    if (isSseAuthResult(result)) {
      const at = result.expiresAt;
      if (at === undefined) return undefined;
      return at instanceof Date ? at.getTime() : typeof at === 'number' ? at : Number.NaN;
    }
    const exp = (user as { exp?: unknown }).exp;
    return typeof exp === 'number' ? exp * 1000 : undefined;
  }

  /**
   * Refuses the request with 401 and `WWW-Authenticate: Bearer` (with
   * `error="invalid_token"` when a token was checked). `detail` goes to the
   * debug log; for `source-not-allowed` it is also the message of the body (it
   * names the ignored source and what to use instead). The token is never
   * part of the response or of the log line.
   */
  protected refuse(context: ExecutionContext, reason: SseUnauthorizedReason, detail?: string): never {
    const response = context.switchToHttp().getResponse<{
      setHeader?: (name: string, value: string) => void;
      header?: (name: string, value: string) => void;
    }>();
    const unchecked = reason === 'missing' || reason === 'source-not-allowed';
    const challenge = unchecked ? 'Bearer' : 'Bearer error="invalid_token"';
    if (typeof response.setHeader === 'function') response.setHeader('WWW-Authenticate', challenge);
    else response.header?.('WWW-Authenticate', challenge);
    this.logger.debug(
      SSE_MESSAGES.authRefused(reason === 'missing' ? `no token in ${this.sourceNames()}` : (detail ?? reason)),
    );
    throw new UnauthorizedException(this.refusalMessage(reason, detail));
  }

  /** The message of a 401's body: never a token or a ticket. */
  private refusalMessage(reason: SseUnauthorizedReason, detail: string | undefined): string {
    const tickets = this.auth.options.tickets;
    switch (reason) {
      case 'missing':
        return tickets && !this.checksTokens
          ? SSE_MESSAGES.ticketMissing(tickets.source.name)
          : SSE_MESSAGES.authTokenMissing();
      case 'source-not-allowed':
        return detail ?? SSE_MESSAGES.authTokenInvalid();
      case 'ticket':
        return SSE_MESSAGES.ticketRefused();
      default:
        return SSE_MESSAGES.authTokenInvalid();
    }
  }

  private sourceNames(): string {
    const { from, tickets } = this.auth.options;
    const sources = this.checksTokens ? from.map((source) => source.label) : [];
    if (tickets) sources.push(tickets.source.label);
    return sources.join(', ');
  }
}
