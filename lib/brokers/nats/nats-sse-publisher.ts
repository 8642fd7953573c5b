import type { Logger } from '@nestjs/common';
import { reasonOf } from '../shared/broker-failure-reason.js';
import {
  apiErrorCode,
  encodePayload,
  EVENT_HEADERS,
  JS_ERRORS,
  readStoredEvent,
  storedSize,
  writeEventHeaders,
  type NatsSseStoredEvent,
} from './nats-sse.codec.js';
import type { NatsSseChannelIndex } from './nats-sse-channel-index.js';
import { CONTENDED } from './nats-sse-refusals.js';
import type { NatsSseJetStream } from './nats-sse-jetstream.js';
import { NATS_SSE_MESSAGES } from './nats-sse.messages.js';
import type { NatsSseNames } from './nats-sse.names.js';

/**
 * Refused publishes in a row (other instances beat them) after which each
 * retry first waits a random while. Not sooner: against an instance that
 * publishes without a pause, the one retrying at once, with the newest tail
 * it knows, wins half the races; waiting would lose them all. Several
 * instances that keep beating each other spread out.
 */
const JITTER_AFTER = 8;
/** Most a retry waits, in ms, however many publishes in a row were refused. */
const MAX_JITTER_MS = 20;

/** Waits a random while, longer (up to `MAX_JITTER_MS`) the more attempts were refused: contenders spread out. */
function jitter(attempt: number): Promise<void> {
  const ms = Math.random() * Math.min(MAX_JITTER_MS, 2 ** (attempt - JITTER_AFTER));
  return new Promise((resolve) => setTimeout(resolve, ms));
}
/** Most events one publish walks over to enforce `maxChannelBytes` (the next publishes walk on). */
const MAX_TRIM_STEPS = 64;

/** The last seq a publish refused with "wrong last sequence: <seq>" gives, or `undefined`. Pure. */
export function wrongLastSequenceOf(error: unknown): number | undefined {
  const description = (error as { api_error?: { description?: unknown } } | null)?.api_error?.description;
  const match = /wrong last sequence: (\d+)/.exec(String(description ?? ''));
  return match ? Number(match[1]) : undefined;
}

/** The error of a publish that other instances beat until its time ran out: nothing was stored (a 503, retry). */
function contended(channel: string, attempts: number): Error {
  return Object.assign(new Error(NATS_SSE_MESSAGES.contended(channel, attempts)), { code: CONTENDED });
}

/** One publish, as the broker checked it. */
export interface NatsSsePublish {
  readonly channel: string;
  readonly payload: string;
  readonly except?: string;
  readonly idempotencyKey?: string;
}

/** What this instance knows of a channel's newest event (the end of its chain), and of its oldest. */
interface ChannelTail {
  /** The newest event's seq (0: the channel has no event: the next one starts a history). */
  readonly seq: number;
  /** Its `Sse-Bytes`. */
  readonly bytes: number;
  /** For a channel without events: the newest seq its next history may have lost. */
  readonly lost: number;
  /** The oldest event kept, as last seen: its seq and the channel's bytes before it. */
  first?: { seq: number; before: number };
}

/**
 * Publishes events. The publishes of a channel run one at a time in this
 * instance, each with `Nats-Expected-Last-Subject-Sequence` set to the
 * channel's newest seq as last seen, so that every event's `Sse-Prev` is
 * exactly its predecessor's seq, across instances (a publish that another
 * instance beat reads the channel's newest event again and retries). With an
 * idempotency key, the `Nats-Msg-Id` `<channel>#<key>`: JetStream answers a
 * duplicate with the first one's seq, within the stream's window. After each
 * event it enforces `maxChannelBytes` (purging the channel's oldest events,
 * never its newest) and records the publish in the channel index (which
 * enforces `maxChannels`).
 */
export class NatsSsePublisher {
  /** The channels' tails as last seen (at most `maxTails`, oldest forgotten first). */
  private readonly tails = new Map<string, ChannelTail>();
  /** The publish under way per channel, that the next one waits for. */
  private readonly queues = new Map<string, Promise<unknown>>();

  constructor(
    private readonly names: NatsSseNames,
    private readonly index: NatsSseChannelIndex,
    private readonly settings: {
      readonly maxChannelBytes: number;
      readonly maxBytes: number;
      readonly maxTails: number;
      readonly commandTimeoutMs: number;
    },
    /** Resolves once the feed has delivered `seq` (or after `ms`): what `observe()` learns tails from. */
    private readonly feedReached: (seq: number, ms: number) => Promise<void>,
    private readonly logger: Logger,
  ) {}

  /**
   * An event of the namespace, from the feed (every instance's publishes):
   * the channel's tail as it is now, so that a publish after it, here,
   * expects the right last seq without reading it.
   */
  observe(event: NatsSseStoredEvent): void {
    const tail = this.tails.get(event.channel);
    if (tail && tail.seq >= event.seq) return;
    this.remember(event.channel, { seq: event.seq, bytes: event.bytes, lost: 0, first: tail?.first });
  }

  /** Publishes one event on `api`; resolves to its seq (the first one's, for an idempotency key seen). */
  async publish(api: NatsSseJetStream, publish: NatsSsePublish): Promise<number> {
    const { channel } = publish;
    const previous = this.queues.get(channel) ?? Promise.resolve();
    const run = previous.then(
      () => this.publishNow(api, publish),
      () => this.publishNow(api, publish),
    );
    this.queues.set(channel, run);
    try {
      const { seq, started } = await run;
      if (started !== undefined) await this.afterwards(api, channel, started);
      return seq;
    } finally {
      if (this.queues.get(channel) === run) this.queues.delete(channel);
    }
  }

  /** A history was purged (by the channel cap): what was known of it no longer holds. */
  forget(channel: string): void {
    this.tails.delete(channel);
  }

  private async publishNow(
    api: NatsSseJetStream,
    publish: NatsSsePublish,
  ): Promise<{ seq: number; started?: boolean }> {
    const { channel, except, idempotencyKey } = publish;
    const data = encodePayload(publish.payload);
    const subject = this.names.event(channel);
    const msgID = idempotencyKey === undefined ? undefined : this.names.messageId(channel, idempotencyKey);
    const deadline = Date.now() + this.settings.commandTimeoutMs;
    let tail = this.tails.get(channel) ?? (await this.readTail(api, channel));
    for (let attempt = 1; ; attempt++) {
      const started = tail.seq === 0;
      const bytes = (started ? 0 : tail.bytes) + data.length;
      const prev = started ? tail.lost : tail.seq;
      this.checkSize(subject, data.length, [prev, bytes, tail.seq], except, msgID);
      const headers = writeEventHeaders(api.nats.headers(), { prev, bytes, except });
      let ack;
      try {
        ack = await api.publish(subject, data, { headers, msgID, expect: { lastSubjectSequence: tail.seq } });
      } catch (error) {
        const actual = apiErrorCode(error) === JS_ERRORS.wrongLastSequence ? wrongLastSequenceOf(error) : undefined;
        if (actual === undefined) {
          this.tails.delete(channel);
          throw error;
        }
        // Another instance published to the channel first: the error says which seq it is now at.
        if (Date.now() > deadline) throw contended(channel, attempt);
        if (attempt >= JITTER_AFTER) await jitter(attempt);
        // Fewer than expected: its newest events were let go of (age, the byte budget); its tail is read again.
        tail =
          actual > tail.seq ? await this.tailAt(api, channel, actual, tail.first) : await this.readTail(api, channel);
        continue;
      }
      // A duplicate stored nothing: the chain is as it was.
      if (ack.duplicate) return { seq: ack.seq };
      const next: ChannelTail = {
        seq: ack.seq,
        bytes,
        lost: 0,
        first: started ? { seq: ack.seq, before: 0 } : tail.first,
      };
      this.remember(channel, next);
      if (bytes - (next.first?.before ?? 0) > this.settings.maxChannelBytes) await this.trim(api, channel, next);
      return { seq: ack.seq, started };
    }
  }

  /**
   * Refuses an event that the events stream could not keep even alone
   * (`maxBytes` is its `max_bytes`): JetStream would discard it as it stores
   * it, before any instance received it.
   */
  private checkSize(
    subject: string,
    bytes: number,
    [prev, total, last]: readonly number[],
    except: string | undefined,
    msgID: string | undefined,
  ): void {
    const headers: [string, string][] = [
      [EVENT_HEADERS.prev, String(prev)],
      [EVENT_HEADERS.bytes, String(total)],
      ['Nats-Expected-Last-Subject-Sequence', String(last)],
    ];
    if (except !== undefined) headers.push([EVENT_HEADERS.except, except]);
    if (msgID !== undefined) headers.push(['Nats-Msg-Id', msgID]);
    const size = storedSize(subject, headers, bytes);
    if (size > this.settings.maxBytes)
      throw new RangeError(NATS_SSE_MESSAGES.eventOverMaxBytes(size, this.settings.maxBytes));
  }

  /**
   * The channel's tail at `seq` (the last seq a refused publish was told) or
   * later: what the feed brought, if it got that far (often further: the
   * other instance's next events arrive before the refusal), else one direct
   * get of `seq` (or, if it is gone meanwhile, of the channel's newest), or
   * what the feed brought meanwhile if that is newer.
   */
  private async tailAt(api: NatsSseJetStream, channel: string, seq: number, first: ChannelTail['first']) {
    const known = this.tails.get(channel);
    if (known && known.seq >= seq) return known;
    const message = await api.at(this.names.eventsStream, seq);
    const event =
      message?.subject === this.names.event(channel)
        ? readStoredEvent(channel, '', seq, message.header, message.data)
        : undefined;
    const read = event ? { seq, bytes: event.bytes, lost: 0, first } : await this.readTail(api, channel);
    const newer = this.tails.get(channel);
    return newer && newer.seq > read.seq ? newer : read;
  }

  /** The channel's newest event, read from JetStream; for a channel without events, what its history may have lost. */
  private async readTail(api: NatsSseJetStream, channel: string): Promise<ChannelTail> {
    const last = await api.last(this.names.eventsStream, this.names.event(channel));
    if (last) {
      const event = readStoredEvent(channel, '', last.seq, last.header, last.data);
      return { seq: last.seq, bytes: event?.bytes ?? 0, lost: 0 };
    }
    return { seq: 0, bytes: 0, lost: await this.index.lostBy(api, channel) };
  }

  /**
   * Purges the channel's oldest events while the bytes from its oldest kept
   * to its newest exceed `maxChannelBytes` (never the newest), walking from
   * the oldest as last seen (JetStream may have trimmed more since, by count:
   * the walk starts at what is there). Fails quietly: the next publish goes on.
   */
  private async trim(api: NatsSseJetStream, channel: string, tail: ChannelTail): Promise<void> {
    const subject = this.names.event(channel);
    try {
      let first = tail.first ?? (await this.oldestFrom(api, channel, 0));
      const start = first?.seq ?? 0;
      for (let step = 0; first && first.seq < tail.seq && tail.bytes - first.before > this.settings.maxChannelBytes;) {
        if (++step > MAX_TRIM_STEPS) break;
        first = await this.oldestFrom(api, channel, first.seq + 1);
      }
      if (!first) return;
      if (first.seq > start) await api.purgeBefore(this.names.eventsStream, subject, first.seq);
      tail.first = first;
    } catch (error) {
      tail.first = undefined;
      this.logger.warn(NATS_SSE_MESSAGES.maintenanceFailed(channel, reasonOf(error)));
    }
  }

  /** The channel's first event at or after `seq`: its seq and the channel's bytes before it. */
  private async oldestFrom(
    api: NatsSseJetStream,
    channel: string,
    seq: number,
  ): Promise<{ seq: number; before: number } | undefined> {
    const message = await api.next(this.names.eventsStream, this.names.event(channel), seq);
    const event = message && readStoredEvent(channel, '', message.seq, message.header, message.data);
    return event ? { seq: event.seq, before: event.bytes - event.size } : undefined;
  }

  /** Records the publish in the channel index (and enforces the cap); fails quietly, the event being stored. */
  private async afterwards(api: NatsSseJetStream, channel: string, started: boolean): Promise<void> {
    try {
      await this.index.published(api, channel, started);
    } catch (error) {
      this.logger.warn(NATS_SSE_MESSAGES.maintenanceFailed(channel, reasonOf(error)));
    }
  }

  private remember(channel: string, tail: ChannelTail): void {
    this.tails.delete(channel);
    this.tails.set(channel, tail);
    if (this.tails.size > this.settings.maxTails) this.tails.delete(this.tails.keys().next().value as string);
  }
}
