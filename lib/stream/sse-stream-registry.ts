import {
  HttpException,
  HttpStatus,
  Inject,
  Injectable,
  Logger,
  Optional,
  type BeforeApplicationShutdown,
  type OnApplicationBootstrap,
} from '@nestjs/common';
import { HttpAdapterHost } from '@nestjs/core';
import { Subject, type Observable } from 'rxjs';
import { SSE_RESOLVED_OPTIONS } from '../sse.constants.js';
import { SSE_MESSAGES } from '../sse.messages.js';
import type { ResolvedSseStreamOptions } from './sse-stream-options.interface.js';
import type { ResolvedSseModuleOptions } from '../options/resolve-module-options.js';
import type { SseClient, SseCloseReason, SseRequest } from './sse-client.interface.js';
import type { SseLifecycleEvent } from './sse-lifecycle.interface.js';
import { jitter, jitterBelow } from './jitter.js';
import { FlushScheduler, type Flushable } from './flush-scheduler.js';
import { Heartbeat } from './heartbeat.js';
import { DeadlineSchedule } from './deadline-schedule.js';
import { SseConnection, type SseConnectionOwner, type SseFinalWordInit } from './sse-connection.js';
import { SseCounters } from './sse-counters.js';
import { SseInstruments } from './sse-instrumentation.js';
import { whenAllClosed } from './when-all-closed.js';
import { transportFor } from './transports/transport-for.js';
import { IdleSockets } from './idle-sockets.js';
import { IdleHttp2Sessions } from './idle-http2-sessions.js';
import type { SseRevocationTarget } from '../brokers/sse-broker.interface.js';
import { addTo, removeFrom } from '../utils/set-index.js';
import { routePatternOf } from './route-pattern.js';
import { addressOf, idOf } from './request-identity.js';

/** How long shutdown waits for streams to end before it cuts them off. */
const SHUTDOWN_GRACE_MS = 2000;

/** A deadline of one stream: when it ends, why, and what its final word says besides the reason. */
interface Deadline {
  connection: SseConnection;
  reason: SseCloseReason;
  word: () => SseFinalWordInit;
}

/**
 * THE index of the app's streams: every stream let in, opening (joining
 * channels, replaying) or open, by id and by user. It applies the connection
 * limits, owns what streams share (the flush scheduler, the heartbeat timers,
 * the deadlines), publishes the one lifecycle stream, keeps the counters, and
 * ends every stream when the app shuts down (then closes the sockets that
 * carry no request, so that the server closes at once). Everything else asks it.
 */
@Injectable()
export class SseStreamRegistry implements SseConnectionOwner, OnApplicationBootstrap, BeforeApplicationShutdown {
  private readonly logger = new Logger('SseStreamRegistry');
  /** Every stream let in and not closed yet, opening or open. */
  private readonly streams = new Map<string, SseConnection>();
  private readonly byUser = new Map<string, Set<SseConnection>>();
  /** Anonymous streams (no user) by client address. */
  private readonly byAddress = new Map<string, Set<SseConnection>>();
  /** Who is told when a stream is forgotten (closed, opened or not): one listener for all streams. */
  private readonly releaseListeners: ((connection: SseConnection) => void)[] = [];
  private openCount = 0;
  /** Channels joined before the stream opened, reported once it has. */
  private readonly joinsBeforeOpen = new Map<SseConnection, (readonly string[])[]>();
  private readonly refusedStreams = new WeakSet<SseConnection>();
  private readonly flushes = new FlushScheduler();
  private readonly heartbeat = new Heartbeat();
  private readonly deadlines = new DeadlineSchedule<Deadline>((deadline) => this.expire(deadline));
  private readonly lifecycle = new Subject<SseLifecycleEvent>();
  private readonly idleSockets = new IdleSockets();
  private readonly idleSessions = new IdleHttp2Sessions();
  private shuttingDown = false;
  /** Streams connecting, joining channels and disconnecting (with the reason). */
  readonly lifecycle$: Observable<SseLifecycleEvent> = this.lifecycle.asObservable();
  /** The counters `SseHub.stats()` reads. */
  readonly counters = new SseCounters();
  /** The observers `SseHub.instrument()` registers (metrics exporters' histograms). */
  readonly instruments = new SseInstruments();

  constructor(
    @Inject(SSE_RESOLVED_OPTIONS) readonly defaults: ResolvedSseModuleOptions,
    @Optional() private readonly adapterHost?: HttpAdapterHost,
  ) {
    if (defaults.errorEventName !== undefined) this.logger.warn(SSE_MESSAGES.deprecatedEventName('errorEventName'));
    if (defaults.auth.expiredEventName !== undefined) {
      this.logger.warn(SSE_MESSAGES.deprecatedEventName('auth.expiredEventName'));
    }
  }

  /** Follows the HTTP server's sockets (HTTP/2 sessions), to close the idle ones at shutdown. */
  onApplicationBootstrap(): void {
    const server: unknown = this.adapterHost?.httpAdapter?.getHttpServer();
    this.idleSockets.attach(server);
    this.idleSessions.attach(server);
  }

  /** Whether the app is shutting down (new streams are refused). */
  get isShuttingDown(): boolean {
    return this.shuttingDown;
  }

  /** The number of open streams. */
  get openStreams(): number {
    return this.openCount;
  }

  /** Timers running now: heartbeats (one per distinct period in use) and deadlines (one for all). */
  get timers(): { heartbeat: number; deadlines: number } {
    return { heartbeat: this.heartbeat.timers, deadlines: this.deadlines.hasTimer ? 1 : 0 };
  }

  /** Every stream let in and not closed yet: opening (joining, replaying) or open. */
  live(): IterableIterator<SseConnection> {
    return this.streams.values();
  }

  /** The open streams. */
  *open(): IterableIterator<SseConnection> {
    for (const connection of this.streams.values()) if (connection.isOpen) yield connection;
  }

  /** The stream with this id, opening or open. */
  get(connectionId: string): SseConnection | undefined {
    return this.streams.get(connectionId);
  }

  /** The streams of a user, opening or open. */
  ofUser(userId: string): ReadonlySet<SseConnection> | undefined {
    return this.byUser.get(userId);
  }

  /**
   * A stream for a request; it opens (sends headers) with `open()`, with
   * `declaredStatus` (the route's `@HttpCode()`) unless a status is set
   * before. Refuses the request, before any stream byte, while the app shuts
   * down (503), past `maxConnections` (503) or past `maxConnectionsPerUser`
   * (429). Streams still opening count against the limits.
   */
  create(
    request: SseRequest,
    response: unknown,
    options: ResolvedSseStreamOptions,
    declaredStatus?: number,
  ): SseConnection {
    const transport = transportFor(response);
    const retryAfter = String(Math.max(1, Math.ceil(options.retryMs / 1000)));
    const refuse = (message: string, status: HttpStatus) => {
      this.refused(status);
      transport.setHeader('Retry-After', retryAfter);
      return new HttpException(message, status);
    };
    if (this.shuttingDown) throw refuse(SSE_MESSAGES.shuttingDown(), HttpStatus.SERVICE_UNAVAILABLE);
    if (this.streams.size >= this.defaults.maxConnections) {
      throw refuse(SSE_MESSAGES.tooManyConnections(this.defaults.maxConnections), HttpStatus.SERVICE_UNAVAILABLE);
    }
    const userId = this.userIdOf(request);
    if (userId !== undefined && (this.byUser.get(userId)?.size ?? 0) >= this.defaults.maxConnectionsPerUser) {
      throw refuse(
        SSE_MESSAGES.tooManyUserConnections(this.defaults.maxConnectionsPerUser),
        HttpStatus.TOO_MANY_REQUESTS,
      );
    }
    const address = userId === undefined ? addressOf(request) : undefined;
    if (
      address !== undefined &&
      (this.byAddress.get(address)?.size ?? 0) >= this.defaults.maxAnonymousConnectionsPerAddress
    ) {
      throw refuse(
        SSE_MESSAGES.tooManyAddressConnections(this.defaults.maxAnonymousConnectionsPerAddress),
        HttpStatus.TOO_MANY_REQUESTS,
      );
    }
    const connection = new SseConnection(request, transport, options, this, declaredStatus, routePatternOf(request));
    connection.userId = userId;
    connection.sessionId = idOf(this.defaults.sessionIdOf(request));
    this.streams.set(connection.id, connection);
    if (userId !== undefined) addTo(this.byUser, userId, connection);
    if (address !== undefined) {
      addTo(this.byAddress, address, connection);
      connection.anonymousAddress = address;
    }
    return connection;
  }

  /**
   * Ends `connection` at `at` (ms since the epoch) with `reason`, and the
   * final word `word()` gives then, unless it ends before. A stream ends at
   * its earliest deadline: a later one than it has is ignored (a lifetime
   * and a credential's expiry, whichever comes first). One timer serves
   * every stream.
   */
  endAt(
    connection: SseConnection,
    at: number,
    reason: SseCloseReason,
    word: () => SseFinalWordInit = () => ({}),
  ): void {
    if (connection.closed) return;
    if ((this.deadlines.atOf(connection.id) ?? Number.POSITIVE_INFINITY) <= at) return;
    this.deadlines.add(connection.id, at, { connection, reason, word });
  }

  /** Reports channels a stream joined: at once if it is open, else right after it has opened. */
  joined(client: SseClient, channels: readonly string[]): void {
    const connection = client as SseConnection;
    if (connection.closed) return;
    if (connection.isOpen) {
      this.lifecycle.next({ type: 'joined', client, channels });
      return;
    }
    let joins = this.joinsBeforeOpen.get(connection);
    if (!joins) this.joinsBeforeOpen.set(connection, (joins = []));
    joins.push(channels);
  }

  /**
   * Counts a request refused before any stream byte (`stats().refused`), called where it is decided
   * (here, the auth guard, the hub's join): a stream once, whatever refused it first.
   */
  refused(status: number, connection?: SseConnection): void {
    if (connection && (connection.isOpen || connection.closed || this.refusedStreams.has(connection))) return;
    if (connection) this.refusedStreams.add(connection);
    this.counters.refusal(status);
  }

  private userIdOf(request: SseRequest): string | undefined {
    return idOf(this.defaults.userIdOf(request));
  }

  /**
   * Ends every stream of this instance (opening or open) that belongs to
   * the user or the session `id`, with the final word `revoked`. Returns how
   * many it ended. Called for each `revoke` message the broker brings.
   */
  revoke(target: SseRevocationTarget, id: string): number {
    // Streams already ending are not counted again (the broker brings this instance's own revocation back).
    const streams = [...(target === 'user' ? (this.byUser.get(id) ?? []) : this.live())].filter(
      (connection) => !connection.closed && (target === 'user' || connection.sessionId === id),
    );
    for (const connection of streams) connection.finish('revoked');
    if (streams.length > 0) this.logger.log(SSE_MESSAGES.streamRevoked(target, streams.length));
    return streams.length;
  }

  scheduleFlush(connection: Flushable): void {
    this.flushes.schedule(connection);
  }

  opened(connection: SseConnection): void {
    this.openCount++;
    this.counters.streamOpened(connection.route);
    this.heartbeat.add(connection);
    const { maxLifetimeMs, maxLifetimeJitter, retryMs, retryJitter } = connection.options;
    if (maxLifetimeMs > 0) {
      const at = Date.now() + jitterBelow(maxLifetimeMs, maxLifetimeJitter);
      this.endAt(connection, at, 'lifetime', () => ({ retryMs: jitter(retryMs, retryJitter) }));
    }
    this.lifecycle.next({ type: 'connected', client: connection });
    const joins = this.joinsBeforeOpen.get(connection);
    if (!joins) return;
    this.joinsBeforeOpen.delete(connection);
    for (const channels of joins) this.lifecycle.next({ type: 'joined', client: connection, channels });
  }

  closedBeforeOpen(connection: SseConnection): void {
    this.forget(connection);
  }

  closed(connection: SseConnection): void {
    this.openCount--;
    this.heartbeat.remove(connection);
    this.forget(connection);
  }

  /** After the stream's close callbacks, so that a lifecycle subscriber sees it gone from every channel. */
  announceClosed(connection: SseConnection, reason: SseCloseReason): void {
    this.counters.streamClosed(connection.route, reason);
    if (this.instruments.active) {
      const durationMs = performance.now() - connection.openedAt;
      this.instruments.streamClosed({ route: connection.route, reason, durationMs });
    }
    this.lifecycle.next({ type: 'disconnected', client: connection, reason });
  }

  private forget(connection: SseConnection): void {
    this.streams.delete(connection.id);
    this.joinsBeforeOpen.delete(connection);
    this.deadlines.delete(connection.id);
    if (connection.userId !== undefined) removeFrom(this.byUser, connection.userId, connection);
    if (connection.anonymousAddress !== undefined) removeFrom(this.byAddress, connection.anonymousAddress, connection);
    for (const listener of this.releaseListeners) listener(connection);
  }

  /** Calls `listener` for every stream the registry lets go of (closed, whether it had opened or not). */
  onRelease(listener: (connection: SseConnection) => void): void {
    this.releaseListeners.push(listener);
  }

  slowClient(connection: SseConnection, bufferedBytes: number): void {
    this.counters.slowClientDisconnects++;
    this.logger.warn(SSE_MESSAGES.slowClient(connection.id, bufferedBytes, connection.options.maxBufferedBytes));
  }

  callbackFailed(connection: SseConnection, error: unknown): void {
    this.logger.error(SSE_MESSAGES.closeCallbackFailed(connection.id), (error as Error)?.stack ?? String(error));
  }

  private expire({ connection, reason, word }: Deadline): void {
    if (connection.closed) return;
    try {
      connection.finish(reason, word());
    } catch (error) {
      // Runs from one timer for several streams at once: one failure must not spare the others.
      this.logger.error(SSE_MESSAGES.deadlineFailed(connection.id, reason), String(error));
      connection.destroy(reason);
    }
  }

  /**
   * Ends every stream with the final word `shutdown` and a `retry:` hint
   * spread over one to two retry periods, so that clients do not all
   * reconnect at once; waits for them to close (cutting off any still open
   * after a grace period). Streams still opening end as soon as they open.
   */
  async beforeApplicationShutdown(): Promise<void> {
    this.shuttingDown = true;
    this.flushes.run();
    const closing = [...this.streams.values()];
    for (const connection of closing) {
      // One to two retry periods: uniform over [retryMs, 2·retryMs].
      connection.finish('shutdown', { retryMs: jitter(1.5 * connection.options.retryMs, 1 / 3) });
    }
    await whenAllClosed(closing, (connection) => this.streams.has(connection.id), SHUTDOWN_GRACE_MS);
    this.heartbeat.stop();
    this.deadlines.clear();
    this.lifecycle.complete();
    // The streams are over: sockets (HTTP/2 sessions) that carry no request must not hold up server.close() (and SIGTERM).
    this.idleSockets.closeIdle();
    this.idleSockets.detach();
    this.idleSessions.closeIdle();
    this.idleSessions.detach();
  }
}
