import { Logger, type OnModuleInit } from '@nestjs/common';
import type { SseAuthResult, SseTokenVerifier } from './sse-token-verifier.interface.js';
import { loadOptionalPackage } from '../utils/load-optional-package.js';
import { redact } from './token-sources.js';
import { SSE_MESSAGES } from '../sse.messages.js';

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

/** A JWT's claims, as verified. `sub`, when present, is a string or a number (anything else is refused). */
export type SseJwtPayload = Record<string, unknown> & { sub?: string | number; exp?: number; nbf?: number };

/** Options of `JwtTokenVerifier`: a key (`secret`, `publicKey` or `jwtService`) and the claims to require. */
export interface JwtTokenVerifierOptions {
  /** The HMAC secret (HS256/384/512). */
  secret?: string | Buffer;
  /** The public key (PEM) for RS*, ES* and PS* tokens; set `algorithms` with it. */
  publicKey?: string | Buffer;
  /**
   * The algorithms accepted; a token signed with any other is refused. Default
   * `['HS256']`. Required with `publicKey`. `none` is never accepted. With
   * both `secret` and `publicKey`, each token is checked with the key of its
   * algorithm: `secret` for HS*, `publicKey` for the others.
   */
  algorithms?: SseJwtAlgorithm[];
  /** Required `iss` claim (one of these). */
  issuer?: string | string[];
  /** Required `aud` claim (one of these). */
  audience?: string | string[];
  /** Seconds of clock skew allowed for `exp` and `nbf`. Default 0. */
  clockToleranceSec?: number;
  /**
   * Whether a token must have an `exp` claim. Default `true`: a token without
   * one would be accepted forever, and its stream would never be ended. Set
   * `false` only for tokens whose lifetime is bounded some other way.
   */
  requireExp?: boolean;
  /**
   * An existing `JwtService` (e.g. injected in `forRootAsync`'s factory),
   * used only when neither `secret` nor `publicKey` is given here: its own
   * key (or `secretOrKeyProvider`) checks the signature then. When this
   * verifier has a key of its own, only that key and `algorithms` decide,
   * and this service is not asked. The algorithms, `exp`, `nbf`, `sub` and
   * `crit` checks of this verifier apply in any case.
   */
  jwtService?: SseJwtServiceLike;
  /** Turns the verified claims into `request.user`. Default: the claims themselves (`sub` is the user id). */
  toUser?: (payload: SseJwtPayload) => unknown;
}

/** The header of a compact JWS, decoded; `undefined` when it is not a base64url JSON object. */
function decodeHeader(token: string): Record<string, unknown> | undefined {
  const dot = token.indexOf('.');
  if (dot <= 0) return undefined;
  try {
    const header: unknown = JSON.parse(Buffer.from(token.slice(0, dot), 'base64url').toString('utf8'));
    return typeof header === 'object' && header !== null && !Array.isArray(header)
      ? (header as Record<string, unknown>)
      : undefined;
  } catch {
    return undefined;
  }
}

/** Why a token was refused before its signature was checked, or the verify options with the key to check it with. */
type KeyChoice = { refused: string } | { key: Record<string, string | Buffer> };

/**
 * Verifies JSON Web Tokens with `@nestjs/jwt` (an optional peer dependency,
 * loaded when the app starts: `npm install @nestjs/jwt`). Checks the
 * signature with the pinned `algorithms` (so `alg: none` and algorithm
 * confusion are refused) and the verifier's own key, which always wins over
 * the key of a given `jwtService`; `exp` (required by default, see
 * `requireExp`) and `nbf`; optionally `iss` and `aud`. Refuses a `sub` that is
 * not a string or a number, and any token whose header has `crit` (it
 * understands no JWS extension: RFC 7515, section 4.1.11). The token's `exp`
 * becomes the stream's expiry: the stream is ended then.
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
  private readonly requireExp: boolean;
  private readonly hasOwnKey: boolean;
  /** A JwtService without keys of its own, for this verifier's keys. */
  private ownService: Promise<SseJwtServiceLike> | undefined;

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
    if (options.requireExp !== undefined && typeof options.requireExp !== 'boolean') {
      throw new Error(SSE_MESSAGES.authJwtOption('requireExp', 'a boolean', options.requireExp));
    }
    this.algorithms = [...algorithms];
    this.requireExp = options.requireExp ?? true;
    this.hasOwnKey = options.secret !== undefined || options.publicKey !== undefined;
  }

  /**
   * Loads `@nestjs/jwt` when this verifier has a key of its own (SseModule
   * calls this when the app starts, so a missing package fails startup).
   */
  async onModuleInit(): Promise<void> {
    await this.jwtService();
  }

  /** The claims (or `toUser(claims)`) with the `exp` as expiry; `null` for a token that fails any check. */
  async verify(token: string): Promise<SseAuthResult | null> {
    const header = decodeHeader(token);
    if (!header) return this.refused(SSE_MESSAGES.authJwtBadHeader());
    if ('crit' in header) return this.refused(SSE_MESSAGES.authJwtCrit());
    const choice = this.keyFor(header.alg);
    if ('refused' in choice) return this.refused(choice.refused);
    const jwt = await this.jwtService();
    let payload: unknown;
    try {
      payload = await jwt.verifyAsync(token, {
        ...choice.key,
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
      return this.refused(redact((error as Error)?.message ?? 'verification failed', token));
    }
    if (typeof payload !== 'object' || payload === null || Array.isArray(payload)) return null;
    const claims = payload as SseJwtPayload;
    if (this.requireExp && typeof claims.exp !== 'number') return this.refused(SSE_MESSAGES.authJwtNoExp());
    if ('sub' in claims && typeof claims.sub !== 'string' && typeof claims.sub !== 'number') {
      return this.refused(SSE_MESSAGES.authJwtBadSub(claims.sub));
    }
    const user = this.options.toUser ? this.options.toUser(claims) : claims;
    if (user === undefined || user === null) return null;
    return typeof claims.exp === 'number' ? { user, expiresAt: claims.exp * 1000 } : { user };
  }

  /**
   * The key to check a token of algorithm `alg` with: this verifier's own
   * (`secret` for HS*, `publicKey` for the others), never the JwtService's
   * when it has one; none (the JwtService's own) when it has neither.
   */
  private keyFor(alg: unknown): KeyChoice {
    if (typeof alg !== 'string' || !(this.algorithms as string[]).includes(alg)) {
      return { refused: SSE_MESSAGES.authJwtAlgorithmNotAllowed(alg, this.algorithms) };
    }
    if (!this.hasOwnKey) return { key: {} };
    const { secret, publicKey } = this.options;
    if (alg.startsWith('HS')) {
      return secret === undefined ? { refused: SSE_MESSAGES.authJwtNoKeyFor(alg, 'secret') } : { key: { secret } };
    }
    return publicKey === undefined
      ? { refused: SSE_MESSAGES.authJwtNoKeyFor(alg, 'publicKey') }
      : { key: { publicKey } };
  }

  private refused(why: string): null {
    this.logger.debug(SSE_MESSAGES.authJwtRefused(why));
    return null;
  }

  /**
   * The service that checks signatures: with a key of this verifier's own, a
   * JwtService of its own with no key or provider that could take precedence;
   * else the given `jwtService`.
   */
  private jwtService(): Promise<SseJwtServiceLike> {
    if (!this.hasOwnKey && this.options.jwtService) return Promise.resolve(this.options.jwtService);
    this.ownService ??= loadOptionalPackage('@nestjs/jwt', 'JwtTokenVerifier', () => import('@nestjs/jwt')).then(
      ({ JwtService }) => new JwtService({}) as unknown as SseJwtServiceLike,
    );
    return this.ownService;
  }
}
