import type { SseBrokerMessage, SseBrokerPosition, SseBrokerSentMessage } from '../sse-broker.interface.js';
import type { RedisSseKeys } from './redis-sse.keys.js';
import { isRevocationId } from '../revocation-id.js';

/**
 * What the broker writes on Redis and reads back, checked on receipt: another
 * program (or another version) on the same key prefix must not reach the hub
 * with malformed messages. Pure.
 *
 * - channel events, on `<p>channel:<channel>`: `<seq>\n<epoch>\n<except>\n<payload>`
 *   (written by the publish script; `except` empty for none);
 * - sync markers, on `<p>instance:<id>`: `<epoch>.<seq>`;
 * - messages that are not stored, on `<p>control`: their JSON.
 */

type ChannelMessage = Extract<SseBrokerMessage, { type: 'channel' }>;

export const EPOCH = /^[a-z0-9]{1,16}$/;
const SEQ = /^(0|[1-9][0-9]{0,15})$/;
const EXCEPT_MAX_LENGTH = 200;

/** Whether `value` is a position `read()` can take. */
export function isPosition(value: unknown): value is SseBrokerPosition {
  const position = value as Partial<SseBrokerPosition> | null;
  return (
    typeof position === 'object' &&
    position !== null &&
    typeof position.epoch === 'string' &&
    EPOCH.test(position.epoch) &&
    Number.isSafeInteger(position.seq) &&
    (position.seq as number) >= 0
  );
}

/** Whether `value` can be the `except` of a channel event: its line of the wire format stays one line. */
export function isExcept(value: unknown): value is string {
  return typeof value === 'string' && value.length <= EXCEPT_MAX_LENGTH && !/[\r\n]/.test(value);
}

const isString = (value: unknown): value is string => typeof value === 'string';
const isOptionalString = (value: unknown): value is string | undefined => value === undefined || isString(value);

/**
 * The message `value` stands for, with its known fields only, if it is one
 * `send()` carries; checked before it is sent and when it arrives.
 */
export function sentMessageOf(value: unknown): SseBrokerSentMessage | undefined {
  const m = value as Record<string, unknown> | null;
  if (typeof m !== 'object' || m === null) return undefined;
  switch (m.type) {
    case 'broadcast':
      if (!isString(m.payload) || !isOptionalString(m.except)) return undefined;
      return m.except === undefined
        ? { type: 'broadcast', payload: m.payload }
        : { type: 'broadcast', payload: m.payload, except: m.except };
    case 'connection':
      if (!isString(m.connectionId) || !isString(m.payload)) return undefined;
      return { type: 'connection', connectionId: m.connectionId, payload: m.payload };
    case 'user':
      if (!isString(m.userId) || !isString(m.payload) || !isOptionalString(m.except)) return undefined;
      return m.except === undefined
        ? { type: 'user', userId: m.userId, payload: m.payload }
        : { type: 'user', userId: m.userId, payload: m.payload, except: m.except };
    case 'disconnect':
      return isString(m.connectionId) ? { type: 'disconnect', connectionId: m.connectionId } : undefined;
    case 'revoke':
      return (m.target === 'user' || m.target === 'session') && isRevocationId(m.id)
        ? { type: 'revoke', target: m.target, id: m.id }
        : undefined;
    default:
      return undefined;
  }
}

/** The control-channel text of a message `send()` carries. */
export function encodeSentMessage(message: SseBrokerSentMessage): string {
  return JSON.stringify(message);
}

/** The message of a control-channel text, or `undefined` if it is not one. */
export function parseSentMessage(text: string): SseBrokerSentMessage | undefined {
  try {
    return sentMessageOf(JSON.parse(text));
  } catch {
    return undefined;
  }
}

/** The channel event of a text the publish script published on `channel`'s Pub/Sub channel, or `undefined`. */
export function parseChannelMessage(channel: string, text: string): ChannelMessage | undefined {
  const first = text.indexOf('\n');
  const second = text.indexOf('\n', first + 1);
  const third = text.indexOf('\n', second + 1);
  if (first < 0 || second < 0 || third < 0) return undefined;
  const seqText = text.slice(0, first);
  const epoch = text.slice(first + 1, second);
  const except = text.slice(second + 1, third);
  if (!SEQ.test(seqText) || !EPOCH.test(epoch)) return undefined;
  const event = { channel, epoch, seq: Number(seqText), payload: text.slice(third + 1) };
  return except === '' ? { type: 'channel', ...event } : { type: 'channel', ...event, except };
}

/** The position of a sync marker `<epoch>.<seq>`, or `undefined`. */
export function parseMarker(text: string): SseBrokerPosition | undefined {
  const dot = text.indexOf('.');
  const epoch = text.slice(0, dot);
  const seq = text.slice(dot + 1);
  return dot > 0 && EPOCH.test(epoch) && SEQ.test(seq) ? { epoch, seq: Number(seq) } : undefined;
}

/** The newer of two positions of one epoch; a position of another epoch replaces the current one. */
export function advance(current: SseBrokerPosition | undefined, next: SseBrokerPosition): SseBrokerPosition {
  return !current || current.epoch !== next.epoch || next.seq > current.seq ? next : current;
}

/** What a message off the subscriber connection is, once decoded. */
export type DecodedMessage =
  | { readonly kind: 'deliver'; readonly message: ChannelMessage | SseBrokerSentMessage }
  | { readonly kind: 'marker'; readonly position: SseBrokerPosition }
  | { readonly kind: 'malformed' }
  /** Not a Pub/Sub channel of this broker: ignored. */
  | { readonly kind: 'foreign' };

/** Decodes a message received on `pubsubChannel`, by the channel it came on (`instanceChannel`: the markers'). */
export function decodeMessage(
  keys: RedisSseKeys,
  instanceChannel: string,
  pubsubChannel: string,
  text: string,
): DecodedMessage {
  if (pubsubChannel === keys.control) {
    const message = parseSentMessage(text);
    return message ? { kind: 'deliver', message } : { kind: 'malformed' };
  }
  if (pubsubChannel === instanceChannel) {
    const position = parseMarker(text);
    return position ? { kind: 'marker', position } : { kind: 'malformed' };
  }
  const channel = keys.channelOf(pubsubChannel);
  if (channel === undefined) return { kind: 'foreign' };
  const message = parseChannelMessage(channel, text);
  return message ? { kind: 'deliver', message } : { kind: 'malformed' };
}
