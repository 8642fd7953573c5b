import { SSE_MESSAGES } from '../sse.messages.js';
import {
  DEFAULT_HISTORY_MAX_BYTES,
  DEFAULT_HISTORY_MAX_CHANNEL_BYTES,
  DEFAULT_MAX_ANONYMOUS_CONNECTIONS_PER_ADDRESS,
  DEFAULT_MAX_CONNECTIONS,
  DEFAULT_MAX_CONNECTIONS_PER_USER,
} from '../sse.constants.js';
import type { ResolvedSseStreamOptions } from '../stream/sse-stream-options.interface.js';
import type { SseBroker } from '../brokers/sse-broker.interface.js';
import type { SseScheduleLock } from '../schedule/sse-schedule-lock.interface.js';
import type { SseRequest } from '../stream/sse-client.interface.js';
import type { SseHistoryOptions, SseModuleOptions } from './sse-module-options.interface.js';
import { assertEventNameOption, resolveStreamOptions } from './resolve-stream-options.js';
import { checkInteger as integer } from './check-option.js';
import { resolveAuthOptions, type ResolvedSseAuthOptions } from '../auth/resolve-auth-options.js';

/** The module options with every default filled in. */
export interface ResolvedSseModuleOptions extends ResolvedSseStreamOptions {
  history: Required<SseHistoryOptions>;
  broker: SseBroker | undefined;
  scheduleLock: SseScheduleLock | undefined;
  maxConnections: number;
  maxConnectionsPerUser: number;
  maxAnonymousConnectionsPerAddress: number;
  userIdOf: (request: SseRequest) => string | number | undefined | null;
  sessionIdOf: (request: SseRequest) => string | number | undefined | null;
  resetEventName: string;
  auth: ResolvedSseAuthOptions;
}

/** A connection limit: an integer of at least 1, or `Infinity` for none. */
function limit(name: string, value: number | undefined, fallback: number): number {
  return value === Number.POSITIVE_INFINITY ? value : integer(name, value, 1, fallback);
}

/** The first of `fields` of `request.user` that is a string or a number. */
function userField(...fields: string[]): (request: SseRequest) => string | number | undefined {
  return (request) => {
    const user = request.user as Record<string, unknown> | undefined | null;
    if (!user || typeof user !== 'object') return undefined;
    for (const field of fields) {
      const value = user[field];
      if (value === undefined || value === null) continue;
      return typeof value === 'string' || typeof value === 'number' ? value : undefined;
    }
    return undefined;
  };
}

/** `request.user.id`, else `request.user.sub`. */
const defaultUserIdOf = userField('id', 'sub');
/** `request.user.sid`, else `request.user.sessionId`. */
const defaultSessionIdOf = userField('sid', 'sessionId');

function isBroker(value: unknown): value is SseBroker {
  const broker = value as Partial<SseBroker> | null;
  return (
    typeof broker === 'object' &&
    broker !== null &&
    typeof (broker.messages$ as { subscribe?: unknown } | undefined)?.subscribe === 'function' &&
    ['connect', 'publish', 'send', 'subscribe', 'unsubscribe', 'read', 'close'].every(
      (method) => typeof (broker as Record<string, unknown>)[method] === 'function',
    )
  );
}

/** Validates the module options (naming the first bad one) and fills in the defaults. */
export function resolveModuleOptions(options: SseModuleOptions = {}): ResolvedSseModuleOptions {
  const stream = resolveStreamOptions(options);
  const history = options.history ?? {};
  if (options.broker !== undefined && !isBroker(options.broker)) {
    throw new Error(
      SSE_MESSAGES.invalidOption('broker', options.broker, 'an SseBroker (e.g. new RedisSseBroker(...))'),
    );
  }
  if (
    options.scheduleLock !== undefined &&
    typeof (options.scheduleLock as Partial<SseScheduleLock> | null)?.acquire !== 'function'
  ) {
    throw new Error(
      SSE_MESSAGES.invalidOption('scheduleLock', options.scheduleLock, 'an SseScheduleLock (an object with acquire())'),
    );
  }
  if (options.userIdOf !== undefined && typeof options.userIdOf !== 'function') {
    throw new Error(SSE_MESSAGES.invalidOption('userIdOf', options.userIdOf, 'a function (request) => user id'));
  }
  if (options.sessionIdOf !== undefined && typeof options.sessionIdOf !== 'function') {
    throw new Error(
      SSE_MESSAGES.invalidOption('sessionIdOf', options.sessionIdOf, 'a function (request) => session id'),
    );
  }
  const resetEventName = options.resetEventName ?? 'sse-reset';
  assertEventNameOption('resetEventName', resetEventName);
  return {
    ...stream,
    history: {
      maxEvents: integer('history.maxEvents', history.maxEvents, 0, 1000),
      maxAgeMs: integer('history.maxAgeMs', history.maxAgeMs, 0, 0),
      maxChannels: integer('history.maxChannels', history.maxChannels, 1, 10_000),
      maxBytes: integer('history.maxBytes', history.maxBytes, 1, DEFAULT_HISTORY_MAX_BYTES),
      maxChannelBytes: integer(
        'history.maxChannelBytes',
        history.maxChannelBytes,
        1,
        DEFAULT_HISTORY_MAX_CHANNEL_BYTES,
      ),
    },
    broker: options.broker,
    scheduleLock: options.scheduleLock,
    maxConnections: limit('maxConnections', options.maxConnections, DEFAULT_MAX_CONNECTIONS),
    maxConnectionsPerUser: limit(
      'maxConnectionsPerUser',
      options.maxConnectionsPerUser,
      DEFAULT_MAX_CONNECTIONS_PER_USER,
    ),
    maxAnonymousConnectionsPerAddress: limit(
      'maxAnonymousConnectionsPerAddress',
      options.maxAnonymousConnectionsPerAddress,
      DEFAULT_MAX_ANONYMOUS_CONNECTIONS_PER_ADDRESS,
    ),
    userIdOf: options.userIdOf ?? defaultUserIdOf,
    sessionIdOf: options.sessionIdOf ?? defaultSessionIdOf,
    resetEventName,
    auth: resolveAuthOptions(options.auth),
  };
}
