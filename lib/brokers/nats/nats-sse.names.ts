import { createHash } from 'node:crypto';
import { isChannelName } from '../../protocol/channel-name.js';

/** What a namespace may be: it is a subject token and a part of stream and KV bucket names. */
export const NAMESPACE = /^[A-Za-z0-9_-]{1,32}$/;

/**
 * A channel name as one subject token: `.` (which splits tokens) becomes `~`,
 * which no channel name holds, so the mapping is reversible; the other
 * characters of a channel name (`A-Za-z0-9-_:/@`) are valid in a token as
 * they are. At most 200 characters, as the name. Pure.
 */
export function channelToken(channel: string): string {
  return channel.replaceAll('.', '~');
}

/** The channel of a subject token made by `channelToken()`, or `undefined` if it is not one. Pure. */
export function channelOfToken(token: string): string | undefined {
  const channel = token.replaceAll('~', '.');
  return isChannelName(channel) && !token.includes('.') ? channel : undefined;
}

/**
 * The names of everything a namespace has in NATS. The namespace is put
 * last in the names of streams and buckets, after a prefix of capitals, so
 * that no two namespaces ever share a name (`_` may be in a namespace).
 *
 * - stream `SSE_EVENTS_<ns>`: the events, on `sse.<ns>.ch.<channel token>`;
 * - stream `SSE_CHANNELS_<ns>`: one message per channel with history, on
 *   `sse.<ns>.ix.<channel token>` (the oldest is the channel published to
 *   least recently), and on `sse.<ns>.dropped` the newest seq of a history
 *   purged as a whole by the channel cap;
 * - KV bucket `SSE_LOCKS_<ns>` (stream `KV_SSE_LOCKS_<ns>`): schedule locks;
 * - subject `sse.<ns>.ctl` (core NATS, stored nowhere): messages not stored.
 */
export class NatsSseNames {
  readonly eventsStream: string;
  readonly channelsStream: string;
  readonly locksBucket: string;
  /** Every event of the namespace: the subjects of the events stream, and the filter of each instance's feed. */
  readonly eventsFilter: string;
  /** Every channel's entry in the channels stream. */
  readonly indexFilter: string;
  /** The newest seq of a history the channel cap purged as a whole. */
  readonly dropped: string;
  /** Messages that are not stored (broadcasts, targeted sends, disconnects, revocations). */
  readonly control: string;
  private readonly base: string;

  constructor(readonly namespace: string) {
    this.base = `sse.${namespace}`;
    this.eventsStream = `SSE_EVENTS_${namespace}`;
    this.channelsStream = `SSE_CHANNELS_${namespace}`;
    this.locksBucket = `SSE_LOCKS_${namespace}`;
    this.eventsFilter = `${this.base}.ch.*`;
    this.indexFilter = `${this.base}.ix.*`;
    this.dropped = `${this.base}.dropped`;
    this.control = `${this.base}.ctl`;
  }

  /** The subject of the events of `channel`. */
  event(channel: string): string {
    return `${this.base}.ch.${channelToken(channel)}`;
  }

  /** The subject of the entry of `channel` in the channels stream. */
  index(channel: string): string {
    return `${this.base}.ix.${channelToken(channel)}`;
  }

  /** The channel whose events (or entry) `subject` carries, or `undefined` if it is not a subject of this namespace's. */
  channelOf(subject: string): string | undefined {
    const prefix = this.base.length + 4;
    const kind = subject.slice(this.base.length, prefix);
    if (!subject.startsWith(this.base) || (kind !== '.ch.' && kind !== '.ix.')) return undefined;
    return channelOfToken(subject.slice(prefix));
  }

  /**
   * The `Nats-Msg-Id` of a publish with an idempotency key: scoped to the
   * channel (the stream's window is one for all channels), the key in
   * base64url so that no header parser trims or splits it.
   */
  messageId(channel: string, key: string): string {
    return `${channel}#${Buffer.from(key).toString('base64url')}`;
  }

  /** The KV key of a schedule lock: a hash, as job names and tick keys may hold any character. */
  lockKey(jobName: string, tickKey: string): string {
    return createHash('sha256').update(`${jobName}\n${tickKey}`).digest('hex');
  }
}
