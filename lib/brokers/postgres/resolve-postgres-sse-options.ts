import type { Pool } from 'pg';
import { resolveBrokerBudgets, type ResolvedBrokerBudgets } from '../shared/resolve-broker-budgets.js';
import type { PostgresSseBrokerOptions } from './postgres-sse-broker-options.interface.js';
import { POSTGRES_SSE_MESSAGES } from './postgres-sse.messages.js';
import { SCHEMA_NAME } from './postgres-sse.schema.js';

const NAMESPACE = /^[a-z0-9_]{1,40}$/;

/** The options of a `PostgresSseBroker`, checked, with every default filled in. */
export interface ResolvedPostgresSseOptions extends ResolvedBrokerBudgets {
  readonly url?: string;
  readonly pool?: Pool;
  readonly namespace: string;
  readonly schema: string;
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
  const budgets = resolveBrokerBudgets('PostgresSseBroker', options);
  return {
    url,
    pool,
    namespace,
    schema,
    ...budgets,
  };
}
