import {
  HttpException,
  Inject,
  SSE_ABORT_CONTROLLER,
  Injectable,
  Logger,
  Optional,
  type CallHandler,
  type ExecutionContext,
  type NestInterceptor,
} from '@nestjs/common';
import { Reflector } from '@nestjs/core';
import { HTTP_CODE_METADATA } from '@nestjs/common/constants.js';
import { mergeMap, Observable, of, type Observer, type Subscription } from 'rxjs';
import { SSE_CONNECTION_KEY, SSE_STREAM_OPTIONS_METADATA } from '../sse.constants.js';
import { SSE_MESSAGES } from '../sse.messages.js';
import { SseStreamRegistry } from './sse-stream-registry.js';
import type { SseConnection } from './sse-connection.js';
import { SseFrameError } from '../protocol/sse-frame.error.js';
import type { SseRequest } from './sse-client.interface.js';
import type { ResolvedSseStreamOptions, SseStreamOptions } from './sse-stream-options.interface.js';
import { encodeEvent } from '../protocol/encode-event.js';
import { isSseEvent, toSseEventInit, type SseEventInit } from '../protocol/sse-event.js';
import { fromMessageEvent, hasMessageEventShape } from '../protocol/message-event.js';
import { transportFor } from './transports/transport-for.js';
import { resolveStreamOptions } from '../options/resolve-stream-options.js';
import { HandlerResult } from './handler-result.js';
import { toEventSource } from './to-event-source.js';
import { isThenable } from '../utils/is-thenable.js';

/** What the final word of a stream that failed on the server's side says, whatever the failure. */
const INTERNAL_ERROR = Object.freeze({ status: 500, message: 'Internal server error' });

/** What the interceptor reads once per route. */
interface StreamRoute {
  readonly options: ResolvedSseStreamOptions;
  /** The route's `@HttpCode()`, if any. */
  readonly status: number | undefined;
  /** `Controller.method`, for messages. */
  readonly name: string;
  /** Whether the route was warned about values that look like Nest's `MessageEvent`. */
  warned: boolean;
}

/**
 * Turns what an `@EventStream()` handler returns into a stream on its
 * response. Runs after guards and before pipes, like any interceptor, so that
 * everything that fails before the handler has produced its stream still
 * answers with its real HTTP status through Nest's exception filters.
 *
 * Added by `@EventStream()`; not meant to be used on its own.
 */
@Injectable()
export class EventStreamInterceptor implements NestInterceptor {
  private readonly logger = new Logger('EventStream');
  private readonly routes = new WeakMap<object, StreamRoute>();
  private readonly connections: SseStreamRegistry;

  constructor(
    @Optional() @Inject(SseStreamRegistry) connections: SseStreamRegistry | undefined,
    private readonly reflector: Reflector,
  ) {
    if (!connections) throw new Error(SSE_MESSAGES.moduleNotImported());
    this.connections = connections;
  }

  intercept(context: ExecutionContext, next: CallHandler): Observable<unknown> {
    if (context.getType() !== 'http') return next.handle();
    const http = context.switchToHttp();
    const request = http.getRequest<SseRequest>();
    const response: unknown = http.getResponse();
    const route = this.routeOf(context);
    if (request.method === 'HEAD') {
      // What a stream would answer, without running the handler or holding a slot.
      transportFor(response).head(request, route.status ?? 200);
      return of(undefined);
    }
    const connection = this.connections.create(request, response, route.options, route.status);
    const carrier = request as unknown as Record<symbol, unknown>;
    carrier[SSE_CONNECTION_KEY] = connection;
    // Nest's @SseSignal() reads `.signal` of what it finds here: the connection's aborts when the stream ends.
    carrier[SSE_ABORT_CONTROLLER] = connection;
    return next.handle().pipe(mergeMap((result) => this.stream(connection, route, result)));
  }

  private routeOf(context: ExecutionContext): StreamRoute {
    const handler = context.getHandler();
    let route = this.routes.get(handler);
    if (!route) {
      const given = this.reflector.get<SseStreamOptions | undefined>(SSE_STREAM_OPTIONS_METADATA, handler) ?? {};
      const name = `${context.getClass().name}.${handler.name}`;
      if (given.errorEventName !== undefined)
        this.logger.warn(SSE_MESSAGES.deprecatedEventName(`errorEventName of ${name}`));
      route = {
        options: resolveStreamOptions(this.connections.defaults, given),
        status: this.reflector.get<number | undefined>(HTTP_CODE_METADATA, handler),
        name,
        warned: false,
      };
      this.routes.set(handler, route);
    }
    return route;
  }

  /**
   * Streams the handler's result. Emits once (a value Nest ignores, as the
   * route owns its response) and completes as soon as the stream has opened,
   * answered 204, or found its client gone: from then on the connection owns
   * the stream, and Nest's per-request pipeline is released instead of being
   * held for the stream's whole life.
   */
  private stream(connection: SseConnection, route: StreamRoute, result: unknown): Observable<undefined> {
    return new Observable<undefined>((done) => {
      let run: EventStreamRun | undefined;
      let handedOver = false;
      const handOver = () => {
        handedOver = true;
        done.next(undefined);
        done.complete();
      };
      const start = (value: unknown) => {
        if (value === null || value === undefined) {
          connection.noContent();
          return handOver();
        }
        const source = toEventSource(value);
        if (!source) {
          const name = result instanceof HandlerResult ? result.handlerName : 'The handler';
          throw new TypeError(SSE_MESSAGES.invalidHandlerResult(name, value));
        }
        if (connection.closed) return handOver();
        const current = (run = new EventStreamRun(connection, route, this));
        current.start(source);
        const open = () => {
          if (current.failedBeforeOpen) {
            current.stop();
            connection.abandon();
            done.error(current.failedBeforeOpen.error);
            return;
          }
          connection.open();
          if (current.completed) connection.finish('completed');
          handOver();
        };
        const ready = connection.whenReadyToOpen();
        if (!ready) return open();
        ready
          .then(open, (error: unknown) => {
            // Counted (SseHub.stats().refused) where it was decided: the hub's join, the auth guard.
            current.failedBeforeOpen ??= { error };
            open();
          })
          // Opening itself threw (the platform refused the headers): never an unhandled rejection.
          .catch((error: unknown) => {
            current.stop();
            connection.destroy('error');
            this.logger.error(SSE_MESSAGES.streamFailed(connection.id), (error as Error)?.stack ?? String(error));
            if (!handedOver) handOver();
          });
      };
      const value = result instanceof HandlerResult ? result.value : result;
      if (isThenable(value)) {
        value.then(
          (awaited) => {
            try {
              start(awaited);
            } catch (error) {
              done.error(error);
            }
          },
          (error: unknown) => done.error(error),
        );
      } else {
        start(value);
      }
      return () => {
        if (!handedOver) run?.stop();
      };
    });
  }

  /** @internal Warns, once per route, that a value looks like Nest's `MessageEvent` but is written as data. */
  warnMessageEventShape(route: StreamRoute): void {
    if (route.warned) return;
    route.warned = true;
    this.logger.warn(SSE_MESSAGES.messageEventShape(route.name));
  }

  /**
   * @internal Writes one event of a stream (refusing what cannot be framed).
   * Returns whether it was taken.
   */
  writeValue(connection: SseConnection, event: SseEventInit): boolean {
    let frame: string;
    try {
      frame = encodeEvent(event, connection.options.serializer);
    } catch (error) {
      if (!(error instanceof SseFrameError)) {
        // Thrown inside RxJS's `next`, it would surface as an uncaught exception.
        this.fail(connection, error);
        return false;
      }
      this.connections.counters.frameErrors++;
      this.logger.warn(SSE_MESSAGES.frameSkipped(connection.id, error.message));
      if (connection.options.onFrameError === 'end') connection.finish('frame-error', { details: INTERNAL_ERROR });
      return false;
    }
    return connection.write(frame);
  }

  /**
   * @internal The end of a failed stream: the final word `error`, sanitized
   * (an error's text reaches the client only if it is an HttpException).
   */
  fail(connection: SseConnection, error: unknown): void {
    this.logger.error(SSE_MESSAGES.streamFailed(connection.id), (error as Error)?.stack ?? String(error));
    const details =
      error instanceof HttpException ? { status: error.getStatus(), message: error.message } : INTERNAL_ERROR;
    connection.finish('error', { details });
  }
}

/**
 * One stream, from the source a handler returned to its connection. Lives as
 * long as the stream, referenced by the connection alone: nothing of Nest's
 * request pipeline stays reachable from it.
 */
class EventStreamRun implements Observer<unknown> {
  subscription: Subscription | undefined;
  /** An error of the source before the stream opened and before any value: answered with its HTTP status. */
  failedBeforeOpen: { error: unknown } | undefined;
  /** Whether the source completed before the stream opened. */
  completed = false;
  /** Values written so far. */
  private written = 0;
  /** The last id given to a `MessageEvent` without one (`messageEvents` mode), as `@Sse()` numbers them. */
  private lastAutoId = 0;

  constructor(
    private readonly connection: SseConnection,
    private readonly route: StreamRoute,
    private readonly writer: EventStreamInterceptor,
  ) {}

  start(source: Observable<unknown>): void {
    this.connection.onClose(() => this.stop());
    this.subscription = source.subscribe(this);
  }

  stop(): void {
    this.subscription?.unsubscribe();
  }

  next(value: unknown): void {
    if (this.writer.writeValue(this.connection, this.toEvent(value))) this.written++;
  }

  private toEvent(value: unknown): SseEventInit {
    const mode = this.route.options.messageEvents;
    if (mode && !isSseEvent(value)) return fromMessageEvent(value, () => String(++this.lastAutoId));
    if (mode === undefined && this.written === 0 && hasMessageEventShape(value)) {
      this.writer.warnMessageEventShape(this.route);
    }
    return toSseEventInit(value);
  }

  /**
   * A failure of the source. Before the stream opened and before any value it
   * is answered with its HTTP status; once a value was written, the values go
   * out first, then the sanitized error event.
   */
  error(error: unknown): void {
    if (this.connection.isOpen || this.written > 0) this.writer.fail(this.connection, error);
    else this.failedBeforeOpen = { error };
  }

  complete(): void {
    if (this.connection.isOpen) this.connection.finish('completed');
    else this.completed = true;
  }
}
