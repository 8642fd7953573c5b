import type { SseRequest } from '../stream/sse-client.interface.js';

/**
 * What a token verifier returns: the user (any truthy value), with an optional
 * expiry after which an open stream is ended. `expiresAt` is a `Date` or
 * milliseconds since the epoch.
 *
 * A verifier may also return the user alone; an object whose only keys are
 * `user` and `expiresAt` is taken for an `SseAuthResult`.
 */
export interface SseAuthResult<User = unknown> {
  user: User;
  expiresAt?: Date | number;
}

/** The user, an `SseAuthResult`, or `null` / `undefined` / `false` to refuse the token. */
export type SseVerifyResult<User = unknown> = User | SseAuthResult<User> | null | undefined | false;

/** `auth.verify` as a function. Throw an `HttpException` to answer with its status instead of 401. */
export type SseVerifyFunction<User = unknown> = (
  token: string,
  request: SseRequest,
) => SseVerifyResult<User> | Promise<SseVerifyResult<User>>;

/**
 * Checks a token and says whose it is. Give the class as `auth.verifier`: it is
 * resolved through Nest's DI (so it can inject other providers), or give an
 * instance (e.g. `new JwtTokenVerifier({ ... })`).
 *
 * @example
 * \@Injectable()
 * export class ApiKeyVerifier implements SseTokenVerifier {
 *   constructor(private readonly keys: ApiKeysService) {}
 *   async verify(token: string) {
 *     const key = await this.keys.find(token);
 *     return key ? { user: { id: key.ownerId }, expiresAt: key.expiresAt } : null;
 *   }
 * }
 */
export interface SseTokenVerifier<User = unknown> {
  verify(token: string, request: SseRequest): SseVerifyResult<User> | Promise<SseVerifyResult<User>>;
}
