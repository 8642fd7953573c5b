import { RequestMethod, RequestMapping, SetMetadata, UseInterceptors } from '@nestjs/common';
import { ROUTE_ARGS_METADATA } from '@nestjs/common/constants.js';
import { RouteParamtypes } from '@nestjs/common/enums/route-paramtypes.enum.js';
import { SSE_STREAM_OPTIONS_METADATA } from '../sse.constants.js';
import type { SseStreamOptions } from './sse-stream-options.interface.js';
import { validateStreamOptions } from '../options/resolve-stream-options.js';
import { EventStreamInterceptor } from './event-stream.interceptor.js';
import { HandlerResult } from './handler-result.js';

/** Options of one `@EventStream()` route: the stream options plus the HTTP method. */
export interface EventStreamOptions extends SseStreamOptions {
  /** `'GET'` (default, what `EventSource` sends) or `'POST'` (for fetch-based clients). */
  method?: 'GET' | 'POST';
}

type Handler = (...args: unknown[]) => unknown;

/** Copies the metadata that decorators applied below this one left on the original method. */
function copyMetadata(from: Handler, to: Handler): void {
  for (const key of Reflect.getOwnMetadataKeys(from)) {
    Reflect.defineMetadata(key, Reflect.getOwnMetadata(key, from), to);
  }
  Object.defineProperty(to, 'name', { value: from.name });
}

/**
 * Declares, through Nest's own `@Res()` metadata, that the route writes its
 * response itself, so Nest sends nothing after the stream. The response lands
 * in an argument after all of the handler's own, which the wrapper drops.
 */
function markResponseOwned(target: object, key: string | symbol, handler: Handler): number {
  const args: Record<string, { index: number }> =
    Reflect.getMetadata(ROUTE_ARGS_METADATA, target.constructor, key) ?? {};
  const index = Math.max(handler.length, ...Object.values(args).map((arg) => arg.index + 1));
  Reflect.defineMetadata(
    ROUTE_ARGS_METADATA,
    { ...args, [`${RouteParamtypes.RESPONSE}:${index}`]: { index, data: undefined, pipes: [] } },
    target.constructor,
    key,
  );
  return index;
}

/**
 * Maps a route (GET by default) whose handler returns a stream of events: an
 * `Observable`, a `Promise` of one, or an `AsyncIterable`. Each value becomes
 * one event: an `sseEvent(...)` envelope as it is, anything else as the `data`
 * of a plain message. Returning `null` or `undefined` answers `204 No Content`,
 * which stops a browser's `EventSource` for good.
 *
 * Guards, pipes, interceptors, filters and parameter decorators work as on any
 * route; everything that fails before the stream starts answers with its real
 * HTTP status.
 *
 * @param path route path, as for `@Get()`.
 * @param options per-route stream options; they override `SseModule.forRoot()`.
 *
 * @example
 * \@EventStream('ticks', { heartbeatMs: 5000 })
 * ticks() {
 *   return interval(1000).pipe(map((n) => sseEvent({ event: 'tick', data: { n } })));
 * }
 */
export function EventStream(path?: string | string[], options: EventStreamOptions = {}): MethodDecorator {
  return (target, key, descriptor) => {
    const original = descriptor.value as unknown as Handler;
    const handlerName = `${target.constructor.name}.${String(key)}`;
    if (typeof original !== 'function') {
      throw new Error(`nestjs-event-stream: @EventStream() must decorate a method; ${handlerName} is not one.`);
    }
    const { method = 'GET', ...streamOptions } = options;
    if (method !== 'GET' && method !== 'POST') {
      throw new Error(
        `nestjs-event-stream: @EventStream() on ${handlerName}: option "method" must be 'GET' or 'POST', got ${String(method)}.`,
      );
    }
    validateStreamOptions(streamOptions, `@EventStream() on ${handlerName}: `);

    const responseIndex = markResponseOwned(target, key, original);
    const wrapper: Handler = function (this: unknown, ...args: unknown[]) {
      return new HandlerResult(original.apply(this, args.slice(0, responseIndex)), handlerName);
    };
    copyMetadata(original, wrapper);
    (descriptor as PropertyDescriptor).value = wrapper;

    RequestMapping({ path, method: method === 'GET' ? RequestMethod.GET : RequestMethod.POST })(
      target,
      key,
      descriptor,
    );
    SetMetadata(SSE_STREAM_OPTIONS_METADATA, streamOptions)(target, key, descriptor);
    UseInterceptors(EventStreamInterceptor)(target, key, descriptor);
    return descriptor;
  };
}
