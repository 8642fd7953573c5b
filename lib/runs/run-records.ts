import type { SseBrokerEvent } from '../brokers/sse-broker.interface.js';
import { formatEventId } from '../protocol/event-id.js';

/**
 * How a run ended:
 * - `completed`: its producer completed;
 * - `cancelled`: `SseRuns.cancel()` (any instance);
 * - `failed`: its producer failed (or its events could not be recorded);
 * - `idle`: no listener on any instance for `idleTimeoutMs`;
 * - `timeout`: it ran for `maxDurationMs`;
 * - `shutdown`: its instance shut down while it ran.
 */
export type SseRunOutcome = 'completed' | 'cancelled' | 'failed' | 'idle' | 'timeout' | 'shutdown';

/** What a failed run tells its listeners: an HTTP status and a message safe for clients. */
export interface SseRunError {
  readonly status: number;
  readonly message: string;
}

/** The records of a run's state channel, as stored (JSON in an SSE comment, so that a stream joined to it by mistake sees nothing). */
export type RunRecord =
  | { readonly t: 'start'; readonly n: string; readonly at: number }
  | { readonly t: 'cancel'; readonly at: number }
  | {
      readonly t: 'end';
      readonly o: SseRunOutcome;
      /** The id of the last event recorded on the run's channel (of the start record if none). */
      readonly last: string;
      readonly at: number;
      /** When its recording expires (ms since the epoch). */
      readonly exp: number;
      readonly err?: SseRunError;
    };

const OUTCOMES: readonly string[] = ['completed', 'cancelled', 'failed', 'idle', 'timeout', 'shutdown'];

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

/** The record a state channel's payload holds, or `undefined` for anything else. Pure. */
export function decodeRecord(payload: string): RunRecord | undefined {
  const value = decodePayload(payload);
  if (!value || typeof value.at !== 'number') return undefined;
  if (value.t === 'start') return typeof value.n === 'string' ? (value as RunRecord) : undefined;
  if (value.t === 'cancel') return value as RunRecord;
  if (value.t !== 'end' || !OUTCOMES.includes(value.o as string)) return undefined;
  return typeof value.last === 'string' && typeof value.exp === 'number' ? (value as RunRecord) : undefined;
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
  readonly startedAt: number;
  readonly cancelled: boolean;
  readonly end: RunEnd | undefined;
}

/** The end a record tells. Pure. */
export function endOf(record: Extract<RunRecord, { t: 'end' }>): RunEnd {
  return { outcome: record.o, last: record.last, expiresAt: record.exp, error: record.err };
}

/**
 * The state of a run from the events of its state channel, in seq order: the
 * first start record wins (a retried start with the same id adds one the
 * broker's idempotency window no longer caught), then the first end after it.
 * `undefined` when no start is kept. Pure.
 */
export function runStateOf(events: readonly SseBrokerEvent[]): RunState | undefined {
  let state: { startId: string; nonce: string; startedAt: number; cancelled: boolean; end?: RunEnd } | undefined;
  for (const event of events) {
    const record = decodeRecord(event.payload);
    if (!record) continue;
    if (!state) {
      if (record.t === 'start')
        state = {
          startId: formatEventId(event.epoch, event.seq),
          nonce: record.n,
          startedAt: record.at,
          cancelled: false,
        };
      continue;
    }
    if (record.t === 'cancel') state.cancelled = true;
    else if (record.t === 'end') state.end ??= endOf(record);
  }
  return state && { ...state, end: state.end };
}
