import { Logger, type OnModuleInit } from '@nestjs/common';
import type { SseAuthResult, SseTokenVerifier } from './sse-token-verifier.interface.js';
import { loadOptionalPackage } from '../utils/load-optional-package.js';
import { redact } from './token-sources.js';

/** JWT signature algorithms `JwtTokenVerifier` accepts (`none` is never one). */
export type SseJwtAlgorithm =
  'HS256' | 'HS384' | 'HS512' | 'RS256' | 'RS384' | 'RS512' | 'ES256' | 'ES384' | 'ES512' | 'PS256' | 'PS384' | 'PS512';

const ALGORITHMS: ReadonlySet<string> = new Set<SseJwtAlgorithm>([
  'HS256',
  'HS384',
  'HS512',
  'RS256',
  'RS384',
  'RS512',
  'ES256',
  'ES384',
  'ES512',
  'PS256',
  'PS384',
  'PS512',
]);

/** What `JwtTokenVerifier` needs of `@nestjs/jwt`'s `JwtService`. */
export interface SseJwtServiceLike {
  verifyAsync<T extends object = object>(token: string, options?: Record<string, unknown>): Promise<T>;
}

/** A JWT's claims, as verified. */
export type SseJwtPayload = Record<string, unknown> & { sub?: string; exp?: number; nbf?: number };

/** Options of `JwtTokenVerifier`: a key (`secret`, `publicKey` or `jwtService`) and the claims to require. */
export interface JwtTokenVerifierOptions {
  /** The HMAC secret (HS256/384/512). */
  secret?: string | Buffer;
  /** The public key (PEM) for RS*, ES* and PS* tokens; set `algorithms` with it. */
  publicKey?: string | Buffer;
  /**
   * The algorithms accepted; a token signed with any other is refused. Default
   * `['HS256']`. Required with `publicKey`. `none` is never accepted.
   */
  algorithms?: SseJwtAlgorithm[];
  /** Required `iss` claim (one of these). */
  issuer?: string | string[];
  /** Required `aud` claim (one of these). */
  audience?: string | string[];
  /** Seconds of clock skew allowed for `exp` and `nbf`. Default 0. */
  clockToleranceSec?: number;
  /**
   * An existing `JwtService` (e.g. injected in `forRootAsync`'s factory). Its
   * own key is used unless `secret` / `publicKey` is given here; the
   * algorithms, `exp` and `nbf` checks of this verifier apply in any case.
   */
  jwtService?: SseJwtServiceLike;
  /** Turns the verified claims into `request.user`. Default: the claims themselves (`sub` is the user id). */
  toUser?: (payload: SseJwtPayload) => unknown;
}

/**
 * Verifies JSON Web Tokens with `@nestjs/jwt` (an optional peer dependency,
 * loaded when the app starts: `npm install @nestjs/jwt`). Checks the
 * signature with the pinned `algorithms` (so `alg: none` and algorithm
 * confusion are refused), `exp` and `nbf`, and optionally `iss` and `aud`.
 * The token's `exp` becomes the stream's expiry: the stream is ended then.
 *
 * @example
 * SseModule.forRootAsync({
 *   inject: [ConfigService],
 *   useFactory: (config: ConfigService) => ({
 *     auth: { verifier: new JwtTokenVerifier({ secret: config.get('JWT_SECRET'), algorithms: ['HS256'] }) },
 *   }),
 * });
 */
export class JwtTokenVerifier implements SseTokenVerifier, OnModuleInit {
  private readonly logger = new Logger('JwtTokenVerifier');
  private readonly algorithms: SseJwtAlgorithm[];
  private service: Promise<SseJwtServiceLike> | undefined;

  constructor(private readonly options: JwtTokenVerifierOptions) {
    const where = 'JwtTokenVerifier';
    if (typeof options !== 'object' || options === null) {
      throw new Error(`nestjs-event-stream: ${where} needs options ({ secret } or { publicKey, algorithms }).`);
    }
    if (options.secret === undefined && options.publicKey === undefined && options.jwtService === undefined) {
      throw new Error(
        `nestjs-event-stream: ${where} needs a key: set "secret" (HMAC), "publicKey" (with "algorithms") or "jwtService".`,
      );
    }
    if (options.secret !== undefined && options.secret.length === 0) {
      throw new Error(`nestjs-event-stream: ${where} option "secret" must not be empty.`);
    }
    if (options.publicKey !== undefined && options.algorithms === undefined) {
      throw new Error(
        `nestjs-event-stream: ${where} option "algorithms" must be set with "publicKey", e.g. ['RS256'].`,
      );
    }
    const algorithms = options.algorithms ?? ['HS256'];
    if (!Array.isArray(algorithms) || algorithms.length === 0 || !algorithms.every((a) => ALGORITHMS.has(a))) {
      throw new Error(
        `nestjs-event-stream: ${where} option "algorithms" must be a non-empty array of ${[...ALGORITHMS].join(', ')} ('none' is never allowed), got ${JSON.stringify(algorithms)}.`,
      );
    }
    const tolerance = options.clockToleranceSec;
    if (tolerance !== undefined && (!Number.isFinite(tolerance) || tolerance < 0)) {
      throw new Error(
        `nestjs-event-stream: ${where} option "clockToleranceSec" must be a number >= 0, got ${String(tolerance)}.`,
      );
    }
    this.algorithms = [...algorithms];
  }

  /** Loads `@nestjs/jwt` (SseModule calls this when the app starts, so a missing package fails startup). */
  async onModuleInit(): Promise<void> {
    await this.jwtService();
  }

  /** The claims (or `toUser(claims)`) with the `exp` as expiry; `null` for a token that fails any check. */
  async verify(token: string): Promise<SseAuthResult | null> {
    const jwt = await this.jwtService();
    let payload: unknown;
    try {
      payload = await jwt.verifyAsync(token, {
        ...(this.options.secret !== undefined && { secret: this.options.secret }),
        ...(this.options.publicKey !== undefined && { publicKey: this.options.publicKey }),
        algorithms: this.algorithms,
        ...(this.options.issuer !== undefined && { issuer: this.options.issuer }),
        ...(this.options.audience !== undefined && { audience: this.options.audience }),
        clockTolerance: this.options.clockToleranceSec ?? 0,
        ignoreExpiration: false,
        ignoreNotBefore: false,
        complete: false,
      });
    } catch (error) {
      // jsonwebtoken's messages ("invalid signature", "jwt expired", ...) never contain the token; a
      // custom jwtService's might, so it is redacted all the same.
      this.logger.debug(`Token refused: ${redact((error as Error)?.message ?? 'verification failed', token)}`);
      return null;
    }
    if (typeof payload !== 'object' || payload === null || Array.isArray(payload)) return null;
    const claims = payload as SseJwtPayload;
    const user = this.options.toUser ? this.options.toUser(claims) : claims;
    if (user === undefined || user === null) return null;
    return typeof claims.exp === 'number' ? { user, expiresAt: claims.exp * 1000 } : { user };
  }

  private jwtService(): Promise<SseJwtServiceLike> {
    if (this.options.jwtService) return Promise.resolve(this.options.jwtService);
    this.service ??= loadOptionalPackage('@nestjs/jwt', 'JwtTokenVerifier', () => import('@nestjs/jwt')).then(
      ({ JwtService }) => new JwtService({}) as unknown as SseJwtServiceLike,
    );
    return this.service;
  }
}
