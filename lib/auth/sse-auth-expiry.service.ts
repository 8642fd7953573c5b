import { Inject, Injectable, Logger, type OnApplicationShutdown, type OnModuleInit } from '@nestjs/common';
import type { Subscription } from 'rxjs';
import { SSE_AUTH_EXPIRES_AT_KEY, SSE_RESOLVED_OPTIONS } from '../sse.constants.js';
import { SSE_MESSAGES } from '../sse.messages.js';
import { SseStreamRegistry } from '../stream/sse-stream-registry.js';
import type { SseConnection } from '../stream/sse-connection.js';
import type { ResolvedSseModuleOptions } from '../options/resolve-module-options.js';
import { encodeEvent } from '../protocol/encode-event.js';

/** The expiry `SseAuthGuard` left on a request (ms since the epoch), if any. */
function authExpiryOf(request: object): number | undefined {
  const value = (request as Record<symbol, unknown>)[SSE_AUTH_EXPIRES_AT_KEY];
  return typeof value === 'number' ? value : undefined;
}

/**
 * Ends each stream whose credential expires, at that time, with one last
 * event (`auth.expiredEventName`) so that the client reconnects with a fresh
 * credential. `SseAuthGuard` leaves the expiry on the request; when its
 * stream opens, this service gives the stream registry a deadline for it
 * (the registry keeps one timer for all of them).
 */
@Injectable()
export class SseAuthExpiryService implements OnModuleInit, OnApplicationShutdown {
  private readonly logger = new Logger('SseAuthExpiryService');
  private subscription: Subscription | undefined;

  constructor(
    private readonly registry: SseStreamRegistry,
    @Inject(SSE_RESOLVED_OPTIONS) private readonly options: ResolvedSseModuleOptions,
  ) {}

  onModuleInit(): void {
    this.subscription = this.registry.lifecycle$.subscribe((event) => {
      if (event.type !== 'connected') return;
      const connection = event.client as SseConnection;
      const expiresAt = authExpiryOf(connection.request);
      if (expiresAt !== undefined) {
        this.registry.endAt(connection, expiresAt, 'auth-expired', () => this.expiredFrame(connection, expiresAt));
      }
    });
  }

  onApplicationShutdown(): void {
    this.subscription?.unsubscribe();
  }

  private expiredFrame(connection: SseConnection, expiresAt: number): string {
    this.logger.debug(SSE_MESSAGES.authStreamExpired(connection.id));
    const expiredAt = new Date(expiresAt).toISOString();
    return encodeEvent({ event: this.options.auth.expiredEventName, data: { expiredAt } }, this.options.serializer);
  }
}
