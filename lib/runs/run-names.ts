import { createHash } from 'node:crypto';

/** The longest run id. */
export const MAX_RUN_ID_LENGTH = 128;
const RUN_ID = /^[A-Za-z0-9_-]{1,128}$/;

/**
 * Where leases go (which runs have listeners where): the connection id of a
 * broker `send()` message that no stream has (so the hub drops it), which
 * every instance's `SseRuns` reads. Not stored: leases cost no history.
 */
export const LEASES_TARGET = 'sse-runs:leases';

/** The channel the startup check publishes to and reads back (does the broker keep history?). */
export const PROBE_CHANNEL = 'sse-runs:history-probe';

/** Whether `value` can be a run id: 1 to 128 letters, digits, `-` or `_` (a UUID is one). */
export function isRunId(value: unknown): value is string {
  return typeof value === 'string' && RUN_ID.test(value);
}

/** One run, as this instance names it: its id, its owner's scope, and its two channels. */
export interface RunRef {
  /** The id the app and the client use (an idempotency key, a UUID). */
  readonly id: string;
  /** The channel its events are recorded on (`run:<id>`, or `run:<owner scope>:<id>`). */
  readonly channel: string;
  /** The channel its start, cancel and end records are on. */
  readonly stateChannel: string;
}

/**
 * The channels of run `id` of `owner` (a user id, or none). An owner's runs
 * live in a scope of their own, a hash of the owner: another user asking for
 * the same id reaches another run (none). Pure; `id` must be valid.
 */
export function runRefOf(id: string, owner: string | undefined): RunRef {
  const scope = owner === undefined ? '' : `${createHash('sha256').update(owner).digest('base64url').slice(0, 16)}:`;
  return { id, channel: `run:${scope}${id}`, stateChannel: `run-state:${scope}${id}` };
}
