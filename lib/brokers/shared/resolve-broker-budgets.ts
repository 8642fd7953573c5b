import { checkInteger } from '../../options/check-option.js';
import { SSE_MESSAGES } from '../../sse.messages.js';
import { DEFAULT_HISTORY_MAX_BYTES, DEFAULT_HISTORY_MAX_CHANNEL_BYTES } from '../../sse.constants.js';

const HOUR_MS = 3_600_000;

/** The options every broker with its own history takes alike (see each broker's options interface for their meaning). */
export interface BrokerBudgetOptions {
  readonly history?: {
    readonly maxEvents?: number;
    readonly maxAgeMs?: number;
    readonly maxChannels?: number;
    readonly maxChannelBytes?: number;
    readonly maxBytes?: number;
  };
  readonly idempotencyTtlMs?: number;
  readonly maxIdempotencyKeys?: number;
  readonly commandTimeoutMs?: number;
  readonly connectTimeoutMs?: number;
  readonly reconnectDelayMs?: number;
}

/** `BrokerBudgetOptions`, checked, with every default filled in. */
export interface ResolvedBrokerBudgets {
  readonly maxEvents: number;
  readonly maxAgeMs: number;
  readonly maxChannels: number;
  /** The smaller of `maxChannelBytes` and `maxBytes`: a channel never keeps more than all channels together may. */
  readonly maxChannelBytes: number;
  readonly maxBytes: number;
  readonly idempotencyTtlMs: number;
  readonly maxIdempotencyKeys: number;
  readonly commandTimeoutMs: number;
  readonly connectTimeoutMs: number;
  readonly reconnectDelayMs: number;
}

/** `checkInteger()` of an option of `broker`, as the `TypeError` a bad option is. */
function integer(broker: string, name: string, value: unknown, min: number, fallback: number): number {
  try {
    return checkInteger(`${broker} ${name}`, value, min, fallback);
  } catch (error) {
    throw new TypeError((error as Error).message);
  }
}

/**
 * Checks the history budgets, the idempotency window and the timeouts of the
 * options of `broker` (its class name, for the messages), naming the bad one
 * in a `TypeError`, and merges the defaults: history 1000 events per channel,
 * no age limit, 10 000 channels, the package's byte budgets; idempotency keys
 * kept 1 hour, at most 10 000; commands answered within 5 s; 10 s to connect
 * at startup; 1 s before a first reconnection. Pure.
 *
 * @example
 * resolveBrokerBudgets('PostgresSseBroker', { history: { maxEvents: 50 } }).maxEvents; // 50
 */
export function resolveBrokerBudgets(broker: string, options: BrokerBudgetOptions): ResolvedBrokerBudgets {
  const history = options.history ?? {};
  if (typeof history !== 'object' || history === null) {
    throw new TypeError(SSE_MESSAGES.invalidOption(`${broker} history`, history, 'an object'));
  }
  const check = (name: string, value: unknown, min: number, fallback: number) =>
    integer(broker, name, value, min, fallback);
  const maxBytes = check('history.maxBytes', history.maxBytes, 1, DEFAULT_HISTORY_MAX_BYTES);
  const maxChannelBytes = check(
    'history.maxChannelBytes',
    history.maxChannelBytes,
    1,
    DEFAULT_HISTORY_MAX_CHANNEL_BYTES,
  );
  return {
    maxEvents: check('history.maxEvents', history.maxEvents, 0, 1000),
    maxAgeMs: check('history.maxAgeMs', history.maxAgeMs, 0, 0),
    maxChannels: check('history.maxChannels', history.maxChannels, 1, 10_000),
    maxChannelBytes: Math.min(maxChannelBytes, maxBytes),
    maxBytes,
    idempotencyTtlMs: check('idempotencyTtlMs', options.idempotencyTtlMs, 1, HOUR_MS),
    maxIdempotencyKeys: check('maxIdempotencyKeys', options.maxIdempotencyKeys, 1, 10_000),
    commandTimeoutMs: check('commandTimeoutMs', options.commandTimeoutMs, 1, 5000),
    connectTimeoutMs: check('connectTimeoutMs', options.connectTimeoutMs, 0, 10_000),
    reconnectDelayMs: check('reconnectDelayMs', options.reconnectDelayMs, 1, 1000),
  };
}
