import type { Type } from '@nestjs/common';
import type { SseClient } from '../stream/sse-client.interface.js';
import type { SseChannelAuthorizer } from '../hub/sse-channel-authorizer.interface.js';
import type { SseTokenVerifier, SseVerifyFunction } from './sse-token-verifier.interface.js';

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

/** Options of stream authentication (`SseModule.forRoot({ auth })`), used by `SseAuthGuard`. */
export interface SseAuthOptions {
  /** Where the token is looked for, in order. Default `['header', 'cookie:sse_token', 'query:token']`. */
  from?: SseTokenSource[];
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
  /** Name of the last event of a stream whose credential expired. Default `'sse-auth-expired'`. */
  expiredEventName?: string;
}
