import type { ConnectionOptions, NatsConnection } from 'nats';
import { resolveBrokerBudgets, type ResolvedBrokerBudgets } from '../shared/resolve-broker-budgets.js';
import type { NatsSseBrokerOptions } from './nats-sse-broker-options.interface.js';
import { NATS_SSE_MESSAGES } from './nats-sse.messages.js';
import { NAMESPACE } from './nats-sse.names.js';

const SERVER = /^(nats|tls|ws|wss):\/\/\S+$|^[^\s/]+:\d+$/;

/** The options of a `NatsSseBroker`, checked, with every default filled in. */
export interface ResolvedNatsSseOptions extends ResolvedBrokerBudgets {
  readonly servers: readonly string[];
  readonly connection?: NatsConnection;
  readonly natsOptions: ConnectionOptions;
  readonly namespace: string;
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
  const budgets = resolveBrokerBudgets('NatsSseBroker', options);
  return {
    servers: connection === undefined ? serversOf(options.servers) : [],
    connection: options.connection,
    natsOptions,
    namespace,
    ...budgets,
  };
}
