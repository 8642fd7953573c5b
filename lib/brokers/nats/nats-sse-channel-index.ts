import { apiErrorCode, JS_ERRORS } from './nats-sse.codec.js';
import type { NatsSseJetStream } from './nats-sse-jetstream.js';
import { NATS_SSE_MESSAGES } from './nats-sse.messages.js';
import type { NatsSseNames } from './nats-sse.names.js';

/** How often (at most) an instance refreshes a channel's entry: the precision of "published to least recently". */
export const TOUCH_INTERVAL_MS = 1000;
/** Most histories one publish purges for the channel cap (the next ones purge the rest). */
const MAX_DROPS_PER_PUBLISH = 16;
/** Most attempts to raise the dropped watermark against other instances raising it too. */
const MAX_RAISE_ATTEMPTS = 16;
const EMPTY = new Uint8Array(0);
const decoder = new TextDecoder();
const encoder = new TextEncoder();

/**
 * The channels of the namespace that have history, in the channels stream:
 * one message per channel (`max_msgs_per_subject` 1), refreshed when the
 * channel is published to (at most once a second per instance), so that the
 * stream's oldest message is the channel published to least recently and
 * its message count the number of channels. It enforces `maxChannels`:
 * after a publish that started a history, the least recent histories past
 * the cap are purged, after their newest seq was recorded as the namespace's
 * dropped watermark (a resume from before it, of a channel without history,
 * says `expired`). It also tells a new history what it may have lost.
 */
export class NatsSseChannelIndex {
  /** When this instance last refreshed each channel's entry (at most `maxEntries`, oldest forgotten first). */
  private readonly touched = new Map<string, number>();

  constructor(
    private readonly names: NatsSseNames,
    private readonly maxChannels: number,
    private readonly maxEntries: number,
    /** A history was purged by the cap: the publisher forgets what it knew of the channel. */
    private readonly dropped: (channel: string) => void,
  ) {}

  /**
   * Records a publish to `channel` (at most once a second per channel unless
   * it `started` a history), then, if it started one, purges histories past
   * the cap.
   */
  async published(api: NatsSseJetStream, channel: string, started: boolean): Promise<void> {
    const now = Date.now();
    if (!started && now - (this.touched.get(channel) ?? -Infinity) < TOUCH_INTERVAL_MS) return;
    await api.publish(this.names.index(channel), EMPTY, {});
    this.touched.delete(channel);
    this.touched.set(channel, now);
    if (this.touched.size > this.maxEntries) this.touched.delete(this.touched.keys().next().value as string);
    if (started) await this.enforceCap(api, channel);
  }

  /**
   * The newest seq a new history of `channel` may have lost: if the channel
   * still has an entry, its events were all removed by age or by the byte
   * budget (which remove the oldest events first: everything before the
   * stream's first seq); otherwise it never had any, or the cap purged it:
   * the dropped watermark.
   */
  async lostBy(api: NatsSseJetStream, channel: string, firstSeq?: number): Promise<number> {
    const [entry, dropped, first] = await Promise.all([
      api.last(this.names.channelsStream, this.names.index(channel)),
      this.readDropped(api),
      firstSeq ?? api.info(this.names.eventsStream).then((info) => info.state.first_seq),
    ]);
    return entry ? Math.max(dropped.value, first - 1) : dropped.value;
  }

  private async enforceCap(api: NatsSseJetStream, channel: string): Promise<void> {
    const info = await api.info(this.names.channelsStream, { subjects_filter: this.names.dropped });
    const marker = info.state.subjects?.[this.names.dropped] ? 1 : 0;
    let excess = info.state.messages - marker - this.maxChannels;
    let from = info.state.first_seq;
    for (let i = 0; excess > 0 && i < MAX_DROPS_PER_PUBLISH; i++, excess--) {
      const oldest = await api.next(this.names.channelsStream, this.names.indexFilter, from);
      const victim = oldest && this.names.channelOf(oldest.subject);
      // The channel just published to is the most recent: never its own victim.
      if (!oldest || victim === undefined || victim === channel) return;
      await this.drop(api, victim, oldest.seq);
      from = oldest.seq + 1;
    }
  }

  /** Purges the history of `channel` (up to its newest event now) and its entry (up to `entrySeq`). */
  private async drop(api: NatsSseJetStream, channel: string, entrySeq: number): Promise<void> {
    const subject = this.names.event(channel);
    const newest = await api.last(this.names.eventsStream, subject);
    // No event left (age or the byte budget took them, oldest first): all were before the stream's first seq.
    const upTo = newest?.seq ?? (await api.info(this.names.eventsStream)).state.first_seq - 1;
    await this.raiseDropped(api, upTo);
    if (newest) await api.purgeBefore(this.names.eventsStream, subject, newest.seq + 1);
    await api.purgeBefore(this.names.channelsStream, this.names.index(channel), entrySeq + 1);
    this.touched.delete(channel);
    this.dropped(channel);
  }

  private async readDropped(api: NatsSseJetStream): Promise<{ value: number; seq: number }> {
    const message = await api.last(this.names.channelsStream, this.names.dropped);
    const value = Number(message ? decoder.decode(message.data) : 0);
    return { value: Number.isSafeInteger(value) ? value : 0, seq: message?.seq ?? 0 };
  }

  /** Raises the dropped watermark to `seq` (never lowers it: compare-and-set against other instances). */
  private async raiseDropped(api: NatsSseJetStream, seq: number): Promise<void> {
    for (let attempt = 0; attempt < MAX_RAISE_ATTEMPTS; attempt++) {
      const current = await this.readDropped(api);
      if (current.value >= seq) return;
      try {
        await api.publish(this.names.dropped, encoder.encode(String(seq)), {
          expect: { lastSubjectSequence: current.seq },
        });
        return;
      } catch (error) {
        if (apiErrorCode(error) !== JS_ERRORS.wrongLastSequence) throw error;
      }
    }
    // Not recorded: the history is not purged (the next publish that starts one tries again).
    throw new Error(NATS_SSE_MESSAGES.droppedContended(MAX_RAISE_ATTEMPTS));
  }
}
