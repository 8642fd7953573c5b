import { SSE_MESSAGES } from '../sse.messages.js';
import type { ResolvedSseStreamOptions } from '../stream/sse-stream-options.interface.js';
import type { SseHubAdapter } from '../brokers/sse-broker.interface.js';
import type { SseRequest } from '../stream/sse-client.interface.js';
import type { SseHistoryOptions, SseModuleOptions } from './sse-module-options.interface.js';
import { assertEventNameOption, assertInteger, resolveStreamOptions } from './resolve-stream-options.js';
import { resolveAuthOptions, type ResolvedSseAuthOptions } from '../auth/resolve-auth-options.js';

/** The module options with every default filled in. */
export interface ResolvedSseModuleOptions extends ResolvedSseStreamOptions {
  history: Required<SseHistoryOptions>;
  adapter: SseHubAdapter | undefined;
  maxConnections: number;
  maxConnectionsPerUser: number;
  userIdOf: (request: SseRequest) => string | number | undefined | null;
  resetEventName: string;
  auth: ResolvedSseAuthOptions;
}

/** `request.user.id`, else `request.user.sub`. */
function defaultUserIdOf(request: SseRequest): string | number | undefined {
  const user = request.user as { id?: unknown; sub?: unknown } | undefined | null;
  if (!user || typeof user !== 'object') return undefined;
  const id = user.id ?? user.sub;
  return typeof id === 'string' || typeof id === 'number' ? id : undefined;
}

/** An integer option of at least `min`, or `fallback` when it is not given. */
function integer(name: string, value: number | undefined, min: number, fallback: number): number {
  assertInteger(name, value, min);
  return value ?? fallback;
}

function isAdapter(value: unknown): value is SseHubAdapter {
  const adapter = value as Partial<SseHubAdapter> | null;
  return (
    typeof adapter === 'object' &&
    adapter !== null &&
    ['connect', 'publish', 'send', 'subscribe', 'unsubscribe', 'replay', 'close'].every(
      (method) => typeof (adapter as Record<string, unknown>)[method] === 'function',
    )
  );
}

/** Validates the module options (naming the first bad one) and fills in the defaults. */
export function resolveModuleOptions(options: SseModuleOptions = {}): ResolvedSseModuleOptions {
  const stream = resolveStreamOptions(options);
  const history = options.history ?? {};
  if (options.adapter !== undefined && !isAdapter(options.adapter)) {
    throw new Error(
      SSE_MESSAGES.invalidOption('adapter', options.adapter, 'an SseHubAdapter (e.g. new RedisSseAdapter(...))'),
    );
  }
  if (options.userIdOf !== undefined && typeof options.userIdOf !== 'function') {
    throw new Error(SSE_MESSAGES.invalidOption('userIdOf', options.userIdOf, 'a function (request) => user id'));
  }
  const resetEventName = options.resetEventName ?? 'sse-reset';
  assertEventNameOption('resetEventName', resetEventName);
  return {
    ...stream,
    history: {
      maxEvents: integer('history.maxEvents', history.maxEvents, 0, 1000),
      maxAgeMs: integer('history.maxAgeMs', history.maxAgeMs, 0, 0),
      maxChannels: integer('history.maxChannels', history.maxChannels, 1, 10_000),
    },
    adapter: options.adapter,
    maxConnections: integer('maxConnections', options.maxConnections, 1, Number.POSITIVE_INFINITY),
    maxConnectionsPerUser: integer('maxConnectionsPerUser', options.maxConnectionsPerUser, 1, Number.POSITIVE_INFINITY),
    userIdOf: options.userIdOf ?? defaultUserIdOf,
    resetEventName,
    auth: resolveAuthOptions(options.auth),
  };
}
