import type { SseBrokerPosition, SseHistoryPage } from '../sse-broker.interface.js';
import { mergeHistoryPages } from '../history-page.js';
import type { NatsSseStoredEvent } from './nats-sse.codec.js';
import type { NatsSseChannelIndex } from './nats-sse-channel-index.js';
import type { NatsSseJetStream } from './nats-sse-jetstream.js';
import type { NatsSseNames } from './nats-sse.names.js';
import { readRange } from './nats-sse-range.js';
import { epochOf } from './nats-sse-streams.js';

/** The largest page `read()` returns: the most events one read takes from each channel is one more. */
export const MAX_READ_LIMIT = 10_000;
/** Channels of one read whose histories are read at the same time. */
const PARALLEL_CHANNELS = 8;

/** The events of one channel after the position, and whether some after it are gone (`undefined`: it has none). */
interface ChannelPage {
  readonly events: readonly NatsSseStoredEvent[];
  readonly expired: boolean | undefined;
}

/** What the events found say: some between the position and the first, or between two, are gone. Pure. */
export function chainBroken(events: readonly NatsSseStoredEvent[], after: number): boolean {
  return events.some((event, i) => event.prev > (i === 0 ? after : events[i - 1].seq));
}

/**
 * Reads pages of the history of several channels: the events stream's
 * state (head, epoch, first seq), then each channel's events after the
 * position (at most `limit + 1`, so the merged page knows whether more
 * follow), merged into the `limit` lowest seqs. Says `expired` when events
 * after the position are gone (the chain of `Sse-Prev` is broken; or the
 * channel has no event left and its history, or one the cap purged, reached
 * past the position) and `unknown` for a position of another epoch or
 * ahead of the newest event.
 */
export class NatsSseHistoryReader {
  constructor(
    private readonly names: NatsSseNames,
    private readonly index: NatsSseChannelIndex,
    private readonly settings: { readonly maxEvents: number; readonly commandTimeoutMs: number },
  ) {}

  /**
   * One page of `channels` (valid, distinct names) after `after`, read on
   * `api`. A position of the epoch the broker knows (`epoch`) has its
   * channels read before the stream's state (the page is dropped if the
   * state says otherwise), so that the head it reports is never before an
   * event of the page; any other waits for the state first.
   */
  async read(
    api: NatsSseJetStream,
    epoch: string,
    channels: readonly string[],
    after: SseBrokerPosition,
    limit: number,
  ): Promise<SseHistoryPage> {
    const early =
      after.epoch === epoch && this.settings.maxEvents > 0 ? this.readChannels(api, after, channels, limit) : undefined;
    return this.readPage(api, channels, after, limit, {
      early,
      read: () => this.readChannels(api, after, channels, limit),
    });
  }

  private async readPage(
    api: NatsSseJetStream,
    channels: readonly string[],
    after: SseBrokerPosition,
    limit: number,
    reading: { early?: Promise<ChannelPage[]>; read(): Promise<ChannelPage[]> },
  ): Promise<SseHistoryPage> {
    // The channels read first (when they can be read early), the state after: no event found is past its head.
    const early = await reading.early?.then(
      (pages) => ({ pages }),
      (error: unknown) => ({ error }),
    );
    const info = await api.info(this.names.eventsStream);
    const epoch = epochOf(info);
    const { last_seq: headSeq, first_seq: firstSeq } = info.state;
    const head = headSeq > 0 ? { epoch, seq: headSeq } : undefined;
    if (epoch !== after.epoch || after.seq > headSeq) return { events: [], more: false, reset: 'unknown', head };
    // No history kept at all: whatever came after the position is gone, which the client must be told.
    if (this.settings.maxEvents === 0) {
      return after.seq < headSeq
        ? { events: [], more: false, reset: 'expired', head }
        : { events: [], more: false, head };
    }
    if (early && 'error' in early) throw early.error;
    const pages = early ? early.pages : await reading.read();
    const expired = await Promise.all(
      pages.map(async (p, i) => p.expired ?? (await this.index.lostBy(api, channels[i], firstSeq)) > after.seq),
    );
    const page = mergeHistoryPages(
      pages.map((p) => p.events.map(({ channel, epoch: e, seq, payload }) => ({ channel, epoch: e, seq, payload }))),
      limit,
    );
    return expired.some(Boolean) ? { ...page, reset: 'expired', head } : { ...page, head };
  }

  /** The pages of `channels`, `PARALLEL_CHANNELS` at a time. */
  private async readChannels(
    api: NatsSseJetStream,
    after: SseBrokerPosition,
    channels: readonly string[],
    limit: number,
  ): Promise<ChannelPage[]> {
    const pages: ChannelPage[] = [];
    for (let i = 0; i < channels.length; i += PARALLEL_CHANNELS) {
      const batch = channels.slice(i, i + PARALLEL_CHANNELS);
      pages.push(...(await Promise.all(batch.map((c) => this.readChannel(api, after, c, limit)))));
    }
    return pages;
  }

  /** One channel's events after the position, and whether some are gone (`undefined`: ask the index). */
  private async readChannel(
    api: NatsSseJetStream,
    after: SseBrokerPosition,
    channel: string,
    limit: number,
  ): Promise<ChannelPage> {
    const { commandTimeoutMs } = this.settings;
    const { epoch, seq } = after;
    const events = await readRange(api, this.names, epoch, channel, seq + 1, limit + 1, commandTimeoutMs);
    if (events.length > 0) return { events, expired: chainBroken(events, seq) };
    // None after the position: if the channel has any, its newest is not after it, and it is always kept.
    if (await api.last(this.names.eventsStream, this.names.event(channel))) return { events, expired: false };
    // None at all: whether it lost any after the position is for the channel index to say.
    return { events, expired: undefined };
  }
}
