import type { SseBrokerMessage, SseBrokerPosition, SseBrokerSentMessage } from '../sse-broker.interface.js';
import type { RedisSseKeys } from './redis-sse.keys.js';
import { EPOCH, SEQ } from '../shared/broker-position.js';
import { parseSentMessage } from '../shared/broker-sent-message.js';

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

export { advance, EPOCH, isPosition } from '../shared/broker-position.js';
export { encodeSentMessage, isExcept, parseSentMessage, sentMessageOf } from '../shared/broker-sent-message.js';

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
