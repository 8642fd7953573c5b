import type { SseBrokerEvent } from '../brokers/sse-broker.interface.js';
import { formatEventId } from '../protocol/event-id.js';

/**
 * How a run ended:
 * - `completed`: its producer completed;
 * - `cancelled`: `SseRuns.cancel()` (any instance);
 * - `failed`: its producer failed (or its events could not be recorded);
 * - `idle`: no listener on any instance for `idleTimeoutMs`;
 * - `timeout`: it ran for `maxDurationMs`;
 * - `shutdown`: its instance shut down while it ran;
 * - `lost`: its instance stopped recording it (it died, or lost the broker)
 *   without saying how it ended: an instance with listeners said so for it.
 */
export type SseRunOutcome = 'completed' | 'cancelled' | 'failed' | 'idle' | 'timeout' | 'shutdown' | 'lost';

/** What a failed run tells its listeners: an HTTP status and a message safe for clients. */
export interface SseRunError {
  readonly status: number;
  readonly message: string;
}

/**
 * The records of a run's state channel, as stored (JSON in an SSE comment,
 * so that a stream joined to it by mistake sees nothing). Every record but
 * the start names its run (`s`: the id of its start record, `n`: the nonce
 * of the instance that started it), so that any one of them tells the
 * state once older ones were evicted, and a record of another run with the
 * same id is not taken for one of this run.
 */
export type RunRecord =
  | { readonly t: 'start'; readonly n: string; readonly at: number }
  | {
      /** The producer's periodic record of its state: it still runs, and this is its last event. */
      readonly t: 'beat';
      readonly s: string;
      readonly n: string;
      readonly last: string;
      readonly at: number;
    }
  | { readonly t: 'cancel'; readonly at: number; readonly s?: string }
  | {
      readonly t: 'end';
      readonly o: SseRunOutcome;
      /** The id of the last event recorded on the run's channel (of the start record if none). */
      readonly last: string;
      readonly at: number;
      /** When its recording expires (ms since the epoch). */
      readonly exp: number;
      readonly err?: SseRunError;
      readonly s?: string;
      readonly n?: string;
    };

const OUTCOMES: readonly string[] = ['completed', 'cancelled', 'failed', 'idle', 'timeout', 'shutdown', 'lost'];

/** The idempotency key of a run's end record: one per run (two instances saying how it ended record one end). */
export const endKey = (nonce: string) => `end:${nonce}`;
/** The idempotency key of a run's cancel record: one per run, never one of another run with the same id. */
export const cancelKey = (startId: string) => `cancel:${startId}`;

/** The payload of a record: `: <json>` and a blank line. Pure. */
export function encodeRecord(record: RunRecord | { readonly runs: readonly string[] }): string {
  return `: ${JSON.stringify(record)}\n\n`;
}

/** The JSON object of a payload made by `encodeRecord()`, or `undefined`. Pure. */
export function decodePayload(payload: string): Record<string, unknown> | undefined {
  if (!payload.startsWith(': ') || !payload.endsWith('\n\n')) return undefined;
  try {
    const value: unknown = JSON.parse(payload.slice(2, -2));
    return typeof value === 'object' && value !== null && !Array.isArray(value)
      ? (value as Record<string, unknown>)
      : undefined;
  } catch {
    return undefined;
  }
}

const isString = (value: unknown): value is string => typeof value === 'string';
const isOptionalString = (value: unknown) => value === undefined || isString(value);

/** The record a state channel's payload holds, or `undefined` for anything else. Pure. */
export function decodeRecord(payload: string): RunRecord | undefined {
  const value = decodePayload(payload);
  if (!value || typeof value.at !== 'number') return undefined;
  switch (value.t) {
    case 'start':
      return isString(value.n) ? (value as RunRecord) : undefined;
    case 'beat':
      return isString(value.s) && isString(value.n) && isString(value.last) ? (value as RunRecord) : undefined;
    case 'cancel':
      return isOptionalString(value.s) ? (value as RunRecord) : undefined;
    case 'end':
      return OUTCOMES.includes(value.o as string) &&
        isString(value.last) &&
        typeof value.exp === 'number' &&
        isOptionalString(value.s) &&
        isOptionalString(value.n)
        ? (value as RunRecord)
        : undefined;
    default:
      return undefined;
  }
}

/** How a run ended, as its listeners need it. */
export interface RunEnd {
  readonly outcome: SseRunOutcome;
  readonly last: string;
  readonly expiresAt: number;
  readonly error?: SseRunError;
}

/** A run's state, from its records: who started it and where, whether it was cancelled, how it ended. */
export interface RunState {
  /** The id of the start record: the run's events are those after it. */
  readonly startId: string;
  /** The nonce of the instance that started it. */
  readonly nonce: string;
  readonly cancelled: boolean;
  readonly end: RunEnd | undefined;
  /** The last event of the run's channel its newest record names (its start's id until a beat names one). */
  readonly last: string;
  /** The seq of its newest record: a later read with a newer one shows that it is still recorded. */
  readonly newest: number;
}

/** The end a record tells. Pure. */
export function endOf(record: Extract<RunRecord, { t: 'end' }>): RunEnd {
  return { outcome: record.o, last: record.last, expiresAt: record.exp, error: record.err };
}

type Building = { -readonly [K in keyof RunState]: RunState[K] };

/** Whether `record` is of the run `state` follows (records without a name are, from older versions). */
const isOf = (state: Building, record: { s?: string; n?: string }) =>
  (record.s === undefined || record.s === state.startId) && (record.n === undefined || record.n === state.nonce);

/**
 * The state of a run from the events of its state channel, in seq order: the
 * first record that names a run wins (a start, or, once the older ones were
 * evicted, a beat or an end: they name their run), and then only records
 * of that run count: its beats, a cancel, the first end. A start after it (a
 * retried start the broker's idempotency window no longer caught) changes
 * nothing. `undefined` when no record of a run is kept. Pure.
 */
export function runStateOf(events: readonly SseBrokerEvent[]): RunState | undefined {
  let state: Building | undefined;
  for (const event of events) {
    const record = decodeRecord(event.payload);
    if (!record) continue;
    if (!state) {
      state = firstState(record, formatEventId(event.epoch, event.seq), event.seq);
      continue;
    }
    if (record.t === 'start' || !isOf(state, record)) continue;
    if (state.end) continue;
    state.newest = event.seq;
    if (record.t === 'beat') state.last = record.last;
    else if (record.t === 'cancel') state.cancelled = true;
    else state.end = endOf(record);
  }
  return state;
}

/** The state the first kept record of a channel tells, if it names a run. */
function firstState(record: RunRecord, id: string, seq: number): Building | undefined {
  const base = { cancelled: false, end: undefined, newest: seq };
  switch (record.t) {
    case 'start':
      return { ...base, startId: id, nonce: record.n, last: id };
    case 'beat':
      return { ...base, startId: record.s, nonce: record.n, last: record.last };
    case 'end':
      return record.s === undefined || record.n === undefined
        ? undefined
        : { ...base, startId: record.s, nonce: record.n, last: record.last, end: endOf(record) };
    default:
      return undefined;
  }
}
