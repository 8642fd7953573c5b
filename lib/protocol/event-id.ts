import { randomBytes } from 'node:crypto';

/**
 * Hub event ids: `<epoch>.<seq>`. `seq` counts every event published in one
 * hub namespace, so one id is a resumable position across all channels of a
 * connection. `epoch` names the history the sequence belongs to (a restarted
 * in-memory hub has a new one), so an id from elsewhere is known for what it
 * is. Only `[a-z0-9.]`: safe to echo back in `Last-Event-ID`.
 */
export interface HubEventPosition {
  readonly epoch: string;
  readonly seq: number;
}

/** `seq` 0 is no event's: it is the position of a namespace before its first event (the anchor a stream may start at). */
const EVENT_ID = /^([a-z0-9]{1,16})\.(0|[1-9][0-9]{0,15})$/;

/** The id of the event at `seq` in the history `epoch`: `<epoch>.<seq>`. */
export function formatEventId(epoch: string, seq: number): string {
  return `${epoch}.${seq}`;
}

/** The position an id stands for (`<epoch>.0`: before the first event), or `undefined` for anything that is not a hub id. */
export function parseEventId(id: string | undefined): HubEventPosition | undefined {
  if (id === undefined) return undefined;
  const match = EVENT_ID.exec(id);
  if (!match) return undefined;
  const seq = Number(match[2]);
  return Number.isSafeInteger(seq) ? { epoch: match[1], seq } : undefined;
}

/**
 * A new epoch: the current time in base 36 (8 characters) plus 6 random ones
 * (about 2 billion values), so that hubs started in the same millisecond do
 * not share an epoch and take each other's ids for their own.
 */
export function newEpoch(): string {
  const random = randomBytes(5).readUIntBE(0, 5) % 36 ** 6;
  return `${Date.now().toString(36)}${random.toString(36).padStart(6, '0')}`;
}
