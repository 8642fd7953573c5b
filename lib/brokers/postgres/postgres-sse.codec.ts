import type { SseBrokerMessage, SseBrokerPosition, SseBrokerSentMessage } from '../sse-broker.interface.js';
import { EPOCH, SEQ } from '../shared/broker-position.js';
import { parseSentMessage } from '../shared/broker-sent-message.js';

export { advance, isPosition } from '../shared/broker-position.js';
export { encodeSentMessage, isExcept, parseSentMessage, sentMessageOf } from '../shared/broker-sent-message.js';

/**
 * What the broker's functions NOTIFY and the listener reads back, checked on
 * receipt (another program, or another version, on the same channel must not
 * reach the hub with malformed messages). Pure. Lines are separated by `\n`:
 *
 * - on the namespace's channel: a channel event `c`, epoch, seq, channel,
 *   except (empty for none), payload; or `C` and the same with the id of the
 *   spilled payload (in `sse_spill`) instead of it; a message that is not
 *   stored `m` and its JSON, or `M` and the id of its spilled JSON;
 * - on this instance's channel: a marker `k`, epoch, seq.
 */

type ChannelMessage = Extract<SseBrokerMessage, { type: 'channel' }>;

/** A channel event whose payload is in `sse_spill`, under `spill`. */
export interface SpilledEvent {
  readonly channel: string;
  readonly epoch: string;
  readonly seq: number;
  readonly except?: string;
  readonly spill: string;
}

/** A notification, decoded. */
export type DecodedNotification =
  | { readonly kind: 'event'; readonly message: ChannelMessage }
  | { readonly kind: 'spilled-event'; readonly event: SpilledEvent }
  | { readonly kind: 'sent'; readonly message: SseBrokerSentMessage }
  | { readonly kind: 'spilled-sent'; readonly spill: string }
  | { readonly kind: 'marker'; readonly position: SseBrokerPosition }
  | { readonly kind: 'malformed' };

const SPILL_ID = /^[1-9][0-9]{0,18}$/;
const MALFORMED: DecodedNotification = { kind: 'malformed' };

/** The first `count` lines of `text` and the rest after them, or `undefined` if it has fewer. */
function lines(text: string, count: number): { head: string[]; rest: string } | undefined {
  const head: string[] = [];
  let start = 0;
  for (let i = 0; i < count; i++) {
    const end = text.indexOf('\n', start);
    if (end < 0) return undefined;
    head.push(text.slice(start, end));
    start = end + 1;
  }
  return { head, rest: text.slice(start) };
}

/** Decodes a notification of the namespace's channel (`marker`: of this instance's channel). */
export function decodeNotification(payload: string, marker: boolean): DecodedNotification {
  if (marker) {
    const parts = lines(`${payload}\n`, 3);
    if (!parts || parts.head[0] !== 'k' || !EPOCH.test(parts.head[1]) || !SEQ.test(parts.head[2])) return MALFORMED;
    return { kind: 'marker', position: { epoch: parts.head[1], seq: Number(parts.head[2]) } };
  }
  const type = payload.slice(0, 2);
  if (type === 'm\n') {
    const message = parseSentMessage(payload.slice(2));
    return message ? { kind: 'sent', message } : MALFORMED;
  }
  if (type === 'M\n') {
    const spill = payload.slice(2);
    return SPILL_ID.test(spill) ? { kind: 'spilled-sent', spill } : MALFORMED;
  }
  if (type !== 'c\n' && type !== 'C\n') return MALFORMED;
  const parts = lines(payload, 5);
  if (!parts) return MALFORMED;
  const [, epoch, seq, channel, except] = parts.head;
  if (!EPOCH.test(epoch) || !SEQ.test(seq) || channel === '') return MALFORMED;
  const position = { channel, epoch, seq: Number(seq) };
  const exception = except === '' ? {} : { except };
  if (type === 'c\n')
    return { kind: 'event', message: { type: 'channel', ...position, payload: parts.rest, ...exception } };
  if (!SPILL_ID.test(parts.rest)) return MALFORMED;
  return { kind: 'spilled-event', event: { ...position, ...exception, spill: parts.rest } };
}
