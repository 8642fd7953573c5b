import type { Pool } from 'pg';
import { checkInteger } from '../../options/check-option.js';
import { DEFAULT_HISTORY_MAX_BYTES, DEFAULT_HISTORY_MAX_CHANNEL_BYTES } from '../../sse.constants.js';
import type { PostgresSseBrokerOptions } from './postgres-sse-broker-options.interface.js';
import { POSTGRES_SSE_MESSAGES } from './postgres-sse.messages.js';
import { SCHEMA_NAME } from './postgres-sse.schema.js';

const NAMESPACE = /^[a-z0-9_]{1,40}$/;
const HOUR_MS = 3_600_000;

/** The options of a `PostgresSseBroker`, checked, with every default filled in. */
export interface ResolvedPostgresSseOptions {
  readonly url?: string;
  readonly pool?: Pool;
  readonly namespace: string;
  readonly schema: string;
  readonly maxEvents: number;
  readonly maxAgeMs: number;
  readonly maxChannels: number;
  readonly maxChannelBytes: number;
  readonly maxBytes: number;
  readonly idempotencyTtlMs: number;
  readonly maxIdempotencyKeys: number;
  readonly commandTimeoutMs: number;
  readonly connectTimeoutMs: number;
  readonly reconnectDelayMs: number;
}

/** `checkInteger()` of an option of the broker, as the `TypeError` a bad option is. */
function integer(name: string, value: unknown, min: number, fallback: number): number {
  try {
    return checkInteger(`PostgresSseBroker ${name}`, value, min, fallback);
  } catch (error) {
    throw new TypeError((error as Error).message);
  }
}

/** Checks the options of `new PostgresSseBroker()`, naming the bad one in a `TypeError`, and merges the defaults. Pure. */
export function resolvePostgresSseOptions(options: PostgresSseBrokerOptions): ResolvedPostgresSseOptions {
  const invalid = (option: string, value: unknown, expected: string) =>
    new TypeError(POSTGRES_SSE_MESSAGES.invalidOption(option, value, expected));
  if (typeof options !== 'object' || options === null) throw invalid('options', options, 'an object');
  const { url, pool } = options;
  if (url !== undefined && pool !== undefined) throw new TypeError(POSTGRES_SSE_MESSAGES.urlAndPool());
  if (url !== undefined && (typeof url !== 'string' || url === '')) {
    throw invalid('url', url, 'a postgres:// connection string');
  }
  if (pool !== undefined && (typeof (pool as Partial<Pool> | null)?.query !== 'function' || !pool.options)) {
    throw invalid('pool', pool, 'a pg Pool (new Pool(...))');
  }
  const namespace = options.namespace ?? 'sse';
  if (typeof namespace !== 'string' || !NAMESPACE.test(namespace)) {
    throw invalid('namespace', namespace, '1 to 40 characters of [a-z0-9_]');
  }
  const schema = options.schema ?? 'public';
  if (typeof schema !== 'string' || !SCHEMA_NAME.test(schema)) {
    throw invalid('schema', schema, 'a schema name of [a-z0-9_] (up to 63 characters, not starting with a digit)');
  }
  const history = options.history ?? {};
  if (typeof history !== 'object' || history === null) throw invalid('history', history, 'an object');
  const maxBytes = integer('history.maxBytes', history.maxBytes, 1, DEFAULT_HISTORY_MAX_BYTES);
  const maxChannelBytes = integer(
    'history.maxChannelBytes',
    history.maxChannelBytes,
    1,
    DEFAULT_HISTORY_MAX_CHANNEL_BYTES,
  );
  return {
    url,
    pool,
    namespace,
    schema,
    maxEvents: integer('history.maxEvents', history.maxEvents, 0, 1000),
    maxAgeMs: integer('history.maxAgeMs', history.maxAgeMs, 0, 0),
    maxChannels: integer('history.maxChannels', history.maxChannels, 1, 10_000),
    // A channel never keeps more than all channels together may.
    maxChannelBytes: Math.min(maxChannelBytes, maxBytes),
    maxBytes,
    idempotencyTtlMs: integer('idempotencyTtlMs', options.idempotencyTtlMs, 1, HOUR_MS),
    maxIdempotencyKeys: integer('maxIdempotencyKeys', options.maxIdempotencyKeys, 1, 10_000),
    commandTimeoutMs: integer('commandTimeoutMs', options.commandTimeoutMs, 1, 5000),
    connectTimeoutMs: integer('connectTimeoutMs', options.connectTimeoutMs, 0, 10_000),
    reconnectDelayMs: integer('reconnectDelayMs', options.reconnectDelayMs, 1, 1000),
  };
}
