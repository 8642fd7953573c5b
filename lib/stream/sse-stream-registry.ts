import { HttpException, HttpStatus, Inject, Injectable, Logger, type BeforeApplicationShutdown } from '@nestjs/common';
import type { ServerResponse } from 'node:http';
import { Subject, type Observable } from 'rxjs';
import { SSE_RESOLVED_OPTIONS } from '../sse.constants.js';
import { SSE_MESSAGES } from '../sse.messages.js';
import type { ResolvedSseStreamOptions } from './sse-stream-options.interface.js';
import type { ResolvedSseModuleOptions } from '../options/resolve-module-options.js';
import type { SseCloseReason, SseRequest } from './sse-client.interface.js';
import { encodeRetry } from '../protocol/encode-event.js';
import { FlushScheduler, type Flushable } from './flush-scheduler.js';
import { Heartbeat } from './heartbeat.js';
import { SseConnection, type SseConnectionOwner } from './sse-connection.js';

/** How long shutdown waits for streams to end before it cuts them off. */
const SHUTDOWN_GRACE_MS = 2000;

/** A stream that opened or closed. */
export type SseConnectionChange =
  { type: 'opened'; connection: SseConnection } | { type: 'closed'; connection: SseConnection; reason: SseCloseReason };

/**
 * Every open stream of the app. Owns what they share: the flush scheduler, the
 * heartbeat timers and the ending of all streams when the app shuts down.
 */
@Injectable()
export class SseConnectionRegistry implements SseConnectionOwner, BeforeApplicationShutdown {
  private readonly logger = new Logger('SseConnections');
  private readonly open = new Map<string, SseConnection>();
  private readonly byUser = new Map<string, Set<SseConnection>>();
  /** Streams let in but not opened yet (still joining channels, authorizing, replaying): they count against the limits. */
  private readonly opening = new Set<SseConnection>();
  private readonly openingPerUser = new Map<string, number>();
  private readonly flushes = new FlushScheduler();
  private readonly heartbeat = new Heartbeat();
  private readonly changeSubject = new Subject<SseConnectionChange>();
  private shuttingDown = false;
  /** Streams opened and closed, for those that need to follow them (the hub). */
  readonly changes: Observable<SseConnectionChange> = this.changeSubject.asObservable();
  /** Streams closed because the client did not read fast enough. */
  slowClientDisconnects = 0;

  constructor(@Inject(SSE_RESOLVED_OPTIONS) readonly defaults: ResolvedSseModuleOptions) {}

  /** Whether the app is shutting down (new streams are refused). */
  get isShuttingDown(): boolean {
    return this.shuttingDown;
  }

  /** The number of open streams. */
  get size(): number {
    return this.open.size;
  }

  /** How many heartbeat timers run (one per distinct period in use). */
  get heartbeatTimers(): number {
    return this.heartbeat.timers;
  }

  /** All open streams. */
  all(): IterableIterator<SseConnection> {
    return this.open.values();
  }

  /** The open stream with this id. */
  get(connectionId: string): SseConnection | undefined {
    return this.open.get(connectionId);
  }

  /** The open streams of a user. */
  ofUser(userId: string): ReadonlySet<SseConnection> | undefined {
    return this.byUser.get(userId);
  }

  /**
   * A connection for a request; it opens (sends headers) with `open()`, with
   * `declaredStatus` (the route's `@HttpCode()`) unless a status is set before.
   * Refuses the request, before any stream byte, while the app shuts down
   * (503), past `maxConnections` (503) or past `maxConnectionsPerUser` (429).
   */
  create(
    request: SseRequest,
    response: ServerResponse,
    options: ResolvedSseStreamOptions,
    declaredStatus?: number,
  ): SseConnection {
    const retryAfter = String(Math.max(1, Math.ceil(options.retryMs / 1000)));
    if (this.shuttingDown) {
      response.setHeader('Retry-After', retryAfter);
      throw new HttpException('The server is shutting down; reconnect shortly.', HttpStatus.SERVICE_UNAVAILABLE);
    }
    if (this.open.size + this.opening.size >= this.defaults.maxConnections) {
      response.setHeader('Retry-After', retryAfter);
      throw new HttpException(
        SSE_MESSAGES.tooManyConnections(this.defaults.maxConnections),
        HttpStatus.SERVICE_UNAVAILABLE,
      );
    }
    const userId = this.userIdOf(request);
    if (userId !== undefined && this.streamsOfUser(userId) >= this.defaults.maxConnectionsPerUser) {
      response.setHeader('Retry-After', retryAfter);
      throw new HttpException(
        SSE_MESSAGES.tooManyUserConnections(this.defaults.maxConnectionsPerUser),
        HttpStatus.TOO_MANY_REQUESTS,
      );
    }
    const connection = new SseConnection(request, response, options, this, declaredStatus);
    connection.userId = userId;
    this.reserve(connection);
    return connection;
  }

  private streamsOfUser(userId: string): number {
    return (this.byUser.get(userId)?.size ?? 0) + (this.openingPerUser.get(userId) ?? 0);
  }

  private reserve(connection: SseConnection): void {
    this.opening.add(connection);
    const userId = connection.userId;
    if (userId !== undefined) this.openingPerUser.set(userId, (this.openingPerUser.get(userId) ?? 0) + 1);
  }

  /** The stream opened, or its response closed before it did: it no longer holds an opening slot. */
  private release(connection: SseConnection): void {
    if (!this.opening.delete(connection)) return;
    const userId = connection.userId;
    if (userId === undefined) return;
    const count = (this.openingPerUser.get(userId) ?? 1) - 1;
    if (count > 0) this.openingPerUser.set(userId, count);
    else this.openingPerUser.delete(userId);
  }

  private userIdOf(request: SseRequest): string | undefined {
    const id = this.defaults.userIdOf(request);
    return id === undefined || id === null ? undefined : String(id);
  }

  scheduleFlush(connection: Flushable): void {
    this.flushes.schedule(connection);
  }

  opened(connection: SseConnection): void {
    this.release(connection);
    this.open.set(connection.id, connection);
    if (connection.userId !== undefined) {
      let tabs = this.byUser.get(connection.userId);
      if (!tabs) this.byUser.set(connection.userId, (tabs = new Set()));
      tabs.add(connection);
    }
    this.heartbeat.add(connection);
    this.changeSubject.next({ type: 'opened', connection });
  }

  closedBeforeOpen(connection: SseConnection): void {
    this.release(connection);
  }

  closed(connection: SseConnection, reason: SseCloseReason): void {
    this.open.delete(connection.id);
    if (connection.userId !== undefined) {
      const tabs = this.byUser.get(connection.userId);
      if (tabs?.delete(connection) && tabs.size === 0) this.byUser.delete(connection.userId);
    }
    this.heartbeat.remove(connection);
    this.changeSubject.next({ type: 'closed', connection, reason });
  }

  slowClient(connection: SseConnection, bufferedBytes: number): void {
    this.slowClientDisconnects++;
    this.logger.warn(SSE_MESSAGES.slowClient(connection.id, bufferedBytes, connection.options.maxBufferedBytes));
  }

  callbackFailed(connection: SseConnection, error: unknown): void {
    this.logger.error(`Stream ${connection.id}: a close callback threw`, (error as Error)?.stack ?? String(error));
  }

  /**
   * Ends every stream with a `retry:` hint spread over one to two retry
   * periods, so that clients do not all reconnect at once; waits for them to
   * close (cutting off any still open after a grace period).
   */
  async beforeApplicationShutdown(): Promise<void> {
    this.shuttingDown = true;
    this.flushes.run();
    // Streams still opening (joining channels) end as soon as they open.
    const closing = [...this.open.values(), ...this.opening];
    for (const connection of closing) {
      const retryMs = connection.options.retryMs;
      connection.end('shutdown', encodeRetry(retryMs + Math.floor(Math.random() * (retryMs + 1))));
    }
    await this.whenAllClosed(closing);
    this.heartbeat.stop();
    this.changeSubject.complete();
  }

  private whenAllClosed(connections: SseConnection[]): Promise<void> {
    const stillOpen = connections.filter((connection) => this.open.has(connection.id) || this.opening.has(connection));
    if (stillOpen.length === 0) return Promise.resolve();
    return new Promise<void>((resolve) => {
      let remaining = stillOpen.length;
      const cutOff = setTimeout(() => {
        for (const connection of stillOpen) connection.destroy('shutdown');
      }, SHUTDOWN_GRACE_MS);
      for (const connection of stillOpen) {
        connection.onClose(() => {
          if (--remaining === 0) {
            clearTimeout(cutOff);
            resolve();
          }
        });
      }
    });
  }
}
