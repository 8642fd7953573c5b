import type { ConnectionOptions, NatsConnection } from 'nats';
import { checkInteger } from '../../options/check-option.js';
import { DEFAULT_HISTORY_MAX_BYTES, DEFAULT_HISTORY_MAX_CHANNEL_BYTES } from '../../sse.constants.js';
import type { NatsSseBrokerOptions } from './nats-sse-broker-options.interface.js';
import { NATS_SSE_MESSAGES } from './nats-sse.messages.js';
import { NAMESPACE } from './nats-sse.names.js';

const HOUR_MS = 3_600_000;
const SERVER = /^(nats|tls|ws|wss):\/\/\S+$|^[^\s/]+:\d+$/;

/** The options of a `NatsSseBroker`, checked, with every default filled in. */
export interface ResolvedNatsSseOptions {
  readonly servers: readonly string[];
  readonly connection?: NatsConnection;
  readonly natsOptions: ConnectionOptions;
  readonly namespace: string;
  readonly maxEvents: number;
  readonly maxAgeMs: number;
  readonly maxChannels: number;
  /** The smaller of `maxChannelBytes` and `maxBytes`: the payload bytes one channel keeps. */
  readonly maxChannelBytes: number;
  readonly maxBytes: number;
  readonly idempotencyTtlMs: number;
  readonly maxIdempotencyKeys: number;
  readonly commandTimeoutMs: number;
  readonly connectTimeoutMs: number;
  readonly reconnectDelayMs: number;
}

/** `checkInteger`, throwing a `TypeError` (the error of a bad option of this broker). */
function integer(name: string, value: unknown, min: number, fallback: number, max?: number): number {
  try {
    return checkInteger(`NatsSseBroker ${name}`, value, min, fallback, max);
  } catch (error) {
    throw new TypeError((error as Error).message);
  }
}

function serversOf(value: unknown): string[] {
  const list = value === undefined ? ['nats://127.0.0.1:4222'] : typeof value === 'string' ? [value] : value;
  if (!Array.isArray(list) || list.length === 0 || !list.every((s) => typeof s === 'string' && SERVER.test(s))) {
    throw new TypeError(
      NATS_SSE_MESSAGES.invalidOption('servers', value, 'a nats://host:port URL or an array of them'),
    );
  }
  return [...list];
}

/** Checks the options of `new NatsSseBroker()`, naming the bad one, and merges the defaults. Pure. */
export function resolveNatsSseOptions(options: NatsSseBrokerOptions): ResolvedNatsSseOptions {
  if (typeof options !== 'object' || options === null) {
    throw new TypeError(NATS_SSE_MESSAGES.invalidOption('options', options, 'an object'));
  }
  if (options.servers !== undefined && options.connection !== undefined) {
    throw new TypeError(NATS_SSE_MESSAGES.serversAndConnection());
  }
  const connection = options.connection as Partial<NatsConnection> | undefined | null;
  if (connection !== undefined && (typeof connection?.jetstream !== 'function' || !connection.status)) {
    throw new TypeError(
      NATS_SSE_MESSAGES.invalidOption(
        'connection',
        options.connection,
        "a NatsConnection (from the nats package's connect())",
      ),
    );
  }
  const natsOptions = options.natsOptions ?? {};
  if (typeof natsOptions !== 'object' || natsOptions === null || Array.isArray(natsOptions)) {
    throw new TypeError(NATS_SSE_MESSAGES.invalidOption('natsOptions', natsOptions, 'an object of ConnectionOptions'));
  }
  const namespace = options.namespace ?? 'sse';
  if (typeof namespace !== 'string' || !NAMESPACE.test(namespace)) {
    throw new TypeError(NATS_SSE_MESSAGES.invalidOption('namespace', namespace, '1 to 32 characters of [A-Za-z0-9_-]'));
  }
  const history = options.history ?? {};
  if (typeof history !== 'object' || history === null) {
    throw new TypeError(NATS_SSE_MESSAGES.invalidOption('history', history, 'an object'));
  }
  const maxBytes = integer('history.maxBytes', history.maxBytes, 1, DEFAULT_HISTORY_MAX_BYTES);
  const channelBytes = integer(
    'history.maxChannelBytes',
    history.maxChannelBytes,
    1,
    DEFAULT_HISTORY_MAX_CHANNEL_BYTES,
  );
  return {
    servers: connection === undefined ? serversOf(options.servers) : [],
    connection: options.connection,
    natsOptions,
    namespace,
    maxEvents: integer('history.maxEvents', history.maxEvents, 0, 1000),
    maxAgeMs: integer('history.maxAgeMs', history.maxAgeMs, 0, 0),
    maxChannels: integer('history.maxChannels', history.maxChannels, 1, 10_000),
    maxChannelBytes: Math.min(channelBytes, maxBytes),
    maxBytes,
    idempotencyTtlMs: integer('idempotencyTtlMs', options.idempotencyTtlMs, 1, HOUR_MS),
    maxIdempotencyKeys: integer('maxIdempotencyKeys', options.maxIdempotencyKeys, 1, 10_000),
    commandTimeoutMs: integer('commandTimeoutMs', options.commandTimeoutMs, 1, 5000),
    connectTimeoutMs: integer('connectTimeoutMs', options.connectTimeoutMs, 0, 10_000),
    reconnectDelayMs: integer('reconnectDelayMs', options.reconnectDelayMs, 1, 1000),
  };
}
