import type { Type } from '@nestjs/common';
import type { SseClient } from '../stream/sse-client.interface.js';
import type { SseChannelAuthorizer } from '../hub/sse-channel-authorizer.interface.js';
import type { SseTokenVerifier, SseVerifyFunction } from './sse-token-verifier.interface.js';
import type { SseTicketOptions } from './sse-ticket-options.interface.js';

/**
 * Where `SseAuthGuard` looks for the token, tried in order:
 * - `'header'`: `Authorization: Bearer <token>`;
 * - `'header:<name>'`: the whole value of another header (e.g. `'header:x-stream-token'`);
 * - `'cookie:<name>'`: a cookie, read from the `Cookie` header (no cookie-parser needed);
 * - `'query:<name>'`: a query parameter (`/feed?token=...`);
 * - `'param:<name>'`: a route parameter (`@EventStream('feed/:token')`).
 */
export type SseTokenSource = 'header' | `header:${string}` | `cookie:${string}` | `query:${string}` | `param:${string}`;

/** `auth.canJoin` as a function. Anything but `true` (including an error) denies. */
export type SseCanJoinFunction = (user: unknown, channel: string, client: SseClient) => boolean | Promise<boolean>;

/**
 * `auth.allowCookieOnPost`: the origins whose POST (and other non-GET) event
 * streams a cookie may authenticate.
 */
export interface SseCookieOnPostOptions {
  /**
   * Origins exactly as browsers send them in the `Origin` header
   * (`scheme://host[:port]`, no path, no trailing slash), e.g.
   * `['https://app.example.com']`. A request's `Origin` must equal one of them:
   * no pattern, no case folding, and a request without `Origin` is refused.
   */
  origins: string[];
}

/** Options of stream authentication (`SseModule.forRoot({ auth })`), used by `SseAuthGuard`. */
export interface SseAuthOptions {
  /**
   * Where the token is looked for, in order. Default `['header', 'cookie:sse_token']`.
   *
   * `'query:<name>'` and `'param:<name>'` are opt-in: a token in a URL lands
   * in proxy, load balancer and access logs, in browser history and in
   * `Referer` headers. If you need one (an `EventSource` cannot send headers
   * and cookies do not suit you), issue short-lived, single-use tickets for
   * it, never a session token.
   *
   * Whatever the order, cookies, query and path tokens authenticate only
   * `GET` and `HEAD` requests: a `POST` event stream takes its token from a
   * header (see `allowCookieOnPost`), and is refused with 401, naming the
   * source that was ignored, when the token is only in one of those.
   */
  from?: SseTokenSource[];
  /**
   * Lets the cookie sources of `from` authenticate POST event streams sent
   * from these origins. Off by default: a cross-site form can POST with the
   * user's cookies (any `SameSite=None` cookie; in Chrome also a cookie without
   * a `SameSite` attribute in its first two minutes), and the handler would
   * run as the user. Query and path
   * tokens never authenticate a POST. Default: not set (header only).
   *
   * @example
   * auth: { verify, allowCookieOnPost: { origins: ['https://app.example.com'] } }
   */
  allowCookieOnPost?: SseCookieOnPostOptions;
  /**
   * Single-use stream tickets, for `EventSource` (which cannot send a
   * header): issue one with `SseTickets.issue(user)` from a route of yours
   * that authenticates with a header, and open the stream with
   * `?ticket=...`; it is redeemed once, within `ttlMs`, on `GET` and `HEAD`
   * streams only. Off unless set (`tickets: {}` for the defaults).
   */
  tickets?: SseTicketOptions;
  /**
   * Checks a token and returns its user (or `{ user, expiresAt }`), or `null` to refuse it.
   * A class or an instance implementing `SseTokenVerifier` is accepted here too (see `verifier`).
   */
  verify?: SseVerifyFunction | Type<SseTokenVerifier> | SseTokenVerifier;
  /**
   * A class implementing `SseTokenVerifier`, resolved through Nest's DI: the
   * provider of that class if the app has one (in any module), otherwise an
   * instance created in SseModule's scope (global providers, and the `imports`
   * of `forRootAsync`). Or an instance, e.g. `new JwtTokenVerifier({ secret })`.
   * Set `verify` or `verifier`, not both.
   */
  verifier?: Type<SseTokenVerifier> | SseTokenVerifier;
  /**
   * Whether a user may join a channel, asked by `SseHub.join()` for every
   * channel before the stream opens; a refusal answers 403 and joins nothing.
   * A function, a class implementing `SseChannelAuthorizer` (resolved like
   * `verifier`) or an instance. Deny by default: an error or any value but
   * `true` refuses. Default: no check.
   */
  canJoin?: SseCanJoinFunction | Type<SseChannelAuthorizer> | SseChannelAuthorizer;
  /**
   * @deprecated A stream whose credential expired now ends with the final
   * word `auth-expired`, named by `endEventName` like every final word
   * (`{"reason":"auth-expired","expiredAt":"..."}`). Set, this names that one
   * final word instead, as before (its data gains `reason`). Default: not set.
   */
  expiredEventName?: string;
}
