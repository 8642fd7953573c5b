import { Inject, Injectable, Logger, type OnApplicationShutdown, type OnModuleInit } from '@nestjs/common';
import type { Subscription } from 'rxjs';
import { SSE_AUTH_EXPIRES_AT_KEY, SSE_RESOLVED_OPTIONS } from '../sse.constants.js';
import { SSE_MESSAGES } from '../sse.messages.js';
import { SseConnectionRegistry } from '../stream/sse-stream-registry.js';
import type { SseConnection } from '../stream/sse-connection.js';
import type { ResolvedSseModuleOptions } from '../options/resolve-module-options.js';
import { encodeEvent } from '../protocol/encode-event.js';
import { ExpirySchedule } from './expiry-schedule.js';

/** The expiry `SseAuthGuard` left on a request (ms since the epoch), if any. */
function authExpiryOf(request: object): number | undefined {
  const value = (request as Record<symbol, unknown>)[SSE_AUTH_EXPIRES_AT_KEY];
  return typeof value === 'number' ? value : undefined;
}

/**
 * Ends each stream whose credential expires, at that time, with one last
 * event (`auth.expiredEventName`) so that the client reconnects with a fresh
 * credential. `SseAuthGuard` leaves the expiry on the request; this service
 * follows the registry's opened/closed streams and keeps one timer for all of
 * them (none while no stream has an expiry).
 */
@Injectable()
export class SseAuthExpiryService implements OnModuleInit, OnApplicationShutdown {
  private readonly logger = new Logger('SseAuth');
  private readonly schedule = new ExpirySchedule<SseConnection>((connection) => this.expire(connection));
  private subscription: Subscription | undefined;

  constructor(
    private readonly registry: SseConnectionRegistry,
    @Inject(SSE_RESOLVED_OPTIONS) private readonly options: ResolvedSseModuleOptions,
  ) {}

  /** Open streams waiting for their credential to expire. */
  get scheduled(): number {
    return this.schedule.size;
  }

  /** Whether the expiry timer runs. */
  get hasTimer(): boolean {
    return this.schedule.hasTimer;
  }

  onModuleInit(): void {
    this.subscription = this.registry.changes.subscribe((change) => {
      const connection = change.connection;
      if (change.type === 'closed') {
        this.schedule.delete(connection.id);
        return;
      }
      const expiresAt = authExpiryOf(connection.request);
      if (expiresAt !== undefined) this.schedule.add(connection.id, expiresAt, connection);
    });
  }

  onApplicationShutdown(): void {
    this.subscription?.unsubscribe();
    this.schedule.clear();
  }

  private expire(connection: SseConnection): void {
    if (connection.closed) return;
    try {
      const expiredAt = new Date(authExpiryOf(connection.request) ?? Date.now()).toISOString();
      this.logger.debug(SSE_MESSAGES.authStreamExpired(connection.id));
      const frame = encodeEvent(
        { event: this.options.auth.expiredEventName, data: { expiredAt } },
        this.options.serializer,
      );
      connection.end('auth-expired', frame);
    } catch (error) {
      // Runs from a timer for several streams at once: one failure must not spare the others.
      this.logger.error(`Stream ${connection.id}: could not send the auth-expired event; closing it.`, String(error));
      connection.destroy('auth-expired');
    }
  }
}
