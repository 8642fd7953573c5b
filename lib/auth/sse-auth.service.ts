import { HttpException, Inject, Injectable, Logger, type OnModuleInit, type Type } from '@nestjs/common';
import { ModuleRef } from '@nestjs/core';
import { SSE_RESOLVED_OPTIONS } from '../sse.constants.js';
import { SSE_MESSAGES, errorMessage } from '../sse.messages.js';
import type { SseClient, SseRequest } from '../stream/sse-client.interface.js';
import type { SseChannelAuthorizer } from '../hub/sse-channel-authorizer.interface.js';
import type { ResolvedSseModuleOptions } from '../options/resolve-module-options.js';
import type { AuthHook, ResolvedSseAuthOptions } from './resolve-auth-options.js';
import type { SseTokenVerifier, SseVerifyResult } from './sse-token-verifier.interface.js';
import { SseAuthExpiryService } from './sse-auth-expiry.service.js';
import { SseTickets } from './sse-tickets.js';

/**
 * The auth hooks of `SseModule.forRoot({ auth })`, resolved: the token
 * verifier that `SseAuthGuard` calls, and the channel authorizer that
 * `SseHub.join()` asks (provided as `SSE_CHANNEL_AUTHORIZER` when
 * `auth.canJoin` is set).
 *
 * A hook given as a class is resolved when the app starts: the provider of
 * that class if any module has one (so it keeps its own dependencies),
 * otherwise an instance created with `ModuleRef.create()` in SseModule's scope
 * (global providers, and the `imports` of `forRootAsync`).
 */
@Injectable()
export class SseAuthService implements SseChannelAuthorizer, OnModuleInit {
  private readonly logger = new Logger('SseAuth');
  private verifier: SseTokenVerifier | undefined;
  private authorizer: SseChannelAuthorizer | undefined;
  /** The validated `auth` options. */
  readonly options: ResolvedSseAuthOptions;

  constructor(
    @Inject(SSE_RESOLVED_OPTIONS) moduleOptions: ResolvedSseModuleOptions,
    private readonly moduleRef: ModuleRef,
    private readonly expiry: SseAuthExpiryService,
    /** The single-use stream tickets of `auth.tickets`, which the guard redeems. */
    readonly tickets: SseTickets,
  ) {
    this.options = moduleOptions.auth;
  }

  async onModuleInit(): Promise<void> {
    this.verifier = await this.resolve(this.options.verifier, 'verifier', (verify) => ({ verify }));
    this.authorizer = await this.resolve(this.options.canJoin, 'canJoin', (canJoin) => ({ canJoin }));
  }

  /** Whether `auth.verify` or `auth.verifier` is set. */
  get hasVerifier(): boolean {
    return this.options.verifier !== undefined;
  }

  /** Asks the configured verifier about a token. */
  async verify(token: string, request: SseRequest): Promise<SseVerifyResult> {
    if (!this.verifier) throw new Error(SSE_MESSAGES.authNoVerifier('SseAuthService.verify()'));
    return this.verifier.verify(token, request);
  }

  /**
   * Holds the stream of `request` to its credential's expiry (ms since the
   * epoch), from now on: refused with 401 if it has not opened by then, ended
   * with `auth.expiredEventName` if it has. `SseAuthGuard` calls this once it
   * has verified the credential; `response` is the request's response.
   */
  holdToExpiry(request: SseRequest, response: unknown, expiresAt: number): void {
    this.expiry.watch(request, response, expiresAt);
  }

  /**
   * Asks `auth.canJoin`; deny by default: anything but `true`, or an error,
   * refuses (an `HttpException` is passed on as it is). Allows everything
   * when `auth.canJoin` is not set.
   */
  async canJoin(user: unknown, channel: string, client: SseClient): Promise<boolean> {
    if (!this.authorizer) return true;
    try {
      return (await this.authorizer.canJoin(user, channel, client)) === true;
    } catch (error) {
      if (error instanceof HttpException) throw error;
      this.logger.warn(SSE_MESSAGES.authCanJoinFailed(channel, client.id, errorMessage(error)));
      return false;
    }
  }

  private async resolve<Fn, Contract extends object>(
    hook: AuthHook<Fn, Contract> | undefined,
    option: string,
    wrap: (fn: Fn) => Contract,
  ): Promise<Contract | undefined> {
    if (!hook) return undefined;
    if (hook.type === 'function') return wrap(hook.fn);
    if (hook.type === 'instance') return initialized(hook.instance);
    const found = this.find(hook.class);
    if (found) return found;
    try {
      return await initialized(await this.moduleRef.create(hook.class));
    } catch (error) {
      throw new Error(SSE_MESSAGES.authClassUnresolved(option, hook.class.name, errorMessage(error)));
    }
  }

  private find<T>(type: Type<T>): T | undefined {
    try {
      return this.moduleRef.get(type, { strict: false });
    } catch {
      return undefined;
    }
  }
}

/** Runs `onModuleInit()` of a hook that Nest does not manage (given as an instance, or created here). */
async function initialized<T extends object>(instance: T): Promise<T> {
  const init = (instance as Partial<OnModuleInit>).onModuleInit;
  if (typeof init === 'function') await init.call(instance);
  return instance;
}
