import { createHash } from 'node:crypto';

/** The longest run id. */
export const MAX_RUN_ID_LENGTH = 128;
const RUN_ID = /^[A-Za-z0-9_-]{1,128}$/;

/** The channel every instance with runs hears leases on: which runs have listeners where. */
export const LEASES_CHANNEL = 'sse-runs:leases';

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
