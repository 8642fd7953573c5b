import {
  Inject,
  Injectable,
  Logger,
  UnauthorizedException,
  type OnApplicationShutdown,
  type OnModuleInit,
} from '@nestjs/common';
import type { Subscription } from 'rxjs';
import { SSE_CONNECTION_KEY, SSE_RESOLVED_OPTIONS } from '../sse.constants.js';
import { SSE_MESSAGES } from '../sse.messages.js';
import { SseStreamRegistry } from '../stream/sse-stream-registry.js';
import type { SseConnection, SseFinalWordInit } from '../stream/sse-connection.js';
import type { SseRequest } from '../stream/sse-client.interface.js';
import { DeadlineSchedule } from '../stream/deadline-schedule.js';
import type { ResolvedSseModuleOptions } from '../options/resolve-module-options.js';
import { nodeResponseOf } from '../stream/transports/transport-for.js';
import type { NodeResponse } from '../stream/transports/node-http.transport.js';

/** A credential verified by the guard, for a stream that has not opened yet. */
interface Opening {
  readonly key: string;
  readonly request: SseRequest;
  /** The Node response (a Fastify reply's `raw`), if the platform gave one. */
  readonly response: NodeResponse | undefined;
  expiresAt: number;
  /** Stops listening for the response to close. */
  release(): void;
}

/** The stream of a request, once the `@EventStream()` interceptor has let it in. */
function connectionOf(request: SseRequest): SseConnection | undefined {
  return (request as unknown as Record<symbol, SseConnection | undefined>)[SSE_CONNECTION_KEY];
}

/**
 * Holds each stream to the expiry of its credential, from the moment
 * `SseAuthGuard` verified it:
 * - while the stream is being set up (joining channels, a slow `canJoin`, a
 *   handler that awaits), one shared timer watches the credentials; one that
 *   expires refuses its stream with 401, before any stream byte, once the
 *   stream's open gates have settled (so no history is replayed to it);
 * - once the stream opens, its expiry becomes a deadline of the stream
 *   registry (one timer for all open streams), which ends it then with one
 *   final word `auth-expired` (`{"reason":"auth-expired","expiredAt":...}`), so that the client reconnects with
 *   a fresh credential.
 *
 * A credential that expires before the request has even reached its stream
 * (another guard or interceptor still running) ends the stream right after
 * it opens, with that event.
 */
@Injectable()
export class SseAuthExpiryService implements OnModuleInit, OnApplicationShutdown {
  private readonly logger = new Logger('SseAuthExpiryService');
  private subscription: Subscription | undefined;
  /** Credentials of the streams not open yet, by request. */
  private readonly opening = new WeakMap<object, Opening>();
  /** When each of them expires: one timer for all. */
  private readonly deadlines = new DeadlineSchedule<Opening>((entry) => this.expiredBeforeOpen(entry));
  private sequence = 0;

  constructor(
    private readonly registry: SseStreamRegistry,
    @Inject(SSE_RESOLVED_OPTIONS) private readonly options: ResolvedSseModuleOptions,
  ) {}

  onModuleInit(): void {
    this.subscription = this.registry.lifecycle$.subscribe((event) => {
      if (event.type === 'connected') this.opened(event.client as SseConnection);
    });
  }

  onApplicationShutdown(): void {
    this.subscription?.unsubscribe();
    this.deadlines.clear();
  }

  /**
   * Holds the stream of `request` to `expiresAt` (ms since the epoch), from
   * now. Called by `SseAuthGuard` (through `SseAuthService.holdToExpiry()`)
   * once the credential is verified; a second call for the same request (a
   * global guard and a route guard) keeps the earlier expiry.
   */
  watch(request: SseRequest, response: unknown, expiresAt: number): void {
    const known = this.opening.get(request);
    if (known) {
      if (expiresAt < known.expiresAt) {
        known.expiresAt = expiresAt;
        this.deadlines.add(known.key, expiresAt, known);
      }
      return;
    }
    const node = nodeResponseOf(response);
    const entry: Opening = {
      key: String(++this.sequence),
      request,
      response: node,
      expiresAt,
      release: () => undefined,
    };
    if (node) {
      // A request refused later (another guard, a pipe, a 403 of canJoin, a limit) is forgotten when it ends.
      const onClose = () => this.forget(entry);
      node.once('close', onClose);
      entry.release = () => node.removeListener('close', onClose);
    }
    this.opening.set(request, entry);
    this.deadlines.add(entry.key, expiresAt, entry);
  }

  /** A stream opened: its credential's expiry becomes a deadline of the stream registry. */
  private opened(connection: SseConnection): void {
    const entry = this.opening.get(connection.request);
    if (!entry) return;
    this.forget(entry);
    const { expiresAt } = entry;
    this.registry.endAt(connection, expiresAt, 'auth-expired', () => this.expiredWord(connection, expiresAt));
  }

  /**
   * A credential expired before its stream opened. A stream let in and still
   * opening gets one more open gate, a rejected one: once its other gates
   * have settled, the request fails with 401, before any stream byte.
   */
  private expiredBeforeOpen(entry: Opening): void {
    const connection = connectionOf(entry.request);
    // Not let in yet: nothing to refuse now. The entry stays, and the stream ends as soon as it opens (`opened`).
    if (!connection) return;
    this.forget(entry);
    if (connection.isOpen || connection.closed) return;
    // On the Node response: Fastify merges it into the refusal it sends.
    if (entry.response && !entry.response.headersSent) {
      entry.response.setHeader('WWW-Authenticate', 'Bearer error="invalid_token"');
    }
    const refusal = Promise.reject(new UnauthorizedException(SSE_MESSAGES.authExpiredBeforeOpen()));
    // Handled by the stream when its gates settle; until then it must not count as an unhandled rejection.
    refusal.catch(() => undefined);
    connection.deferOpenUntil(refusal);
    this.logger.debug(SSE_MESSAGES.authExpiredBeforeOpenLog(connection.id));
  }

  private forget(entry: Opening): void {
    if (this.opening.get(entry.request) === entry) this.opening.delete(entry.request);
    this.deadlines.delete(entry.key);
    entry.release();
  }

  /** The final word of a stream whose credential expired: when it did (and the deprecated `auth.expiredEventName`, if set). */
  private expiredWord(connection: SseConnection, expiresAt: number): SseFinalWordInit {
    this.logger.debug(SSE_MESSAGES.authStreamExpired(connection.id));
    const expiredAt = new Date(expiresAt).toISOString();
    return { details: { expiredAt }, eventName: this.options.auth.expiredEventName };
  }
}
