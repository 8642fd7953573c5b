import type {
  SseHubAdapter,
  SseHubMessage,
  SseReplay,
  SseStoredEvent,
} from '../sse-broker.interface.js';
import { formatEventId, newEpoch } from '../../protocol/event-id.js';
import { ChannelHistory } from './channel-history.js';
import { assertInteger } from '../../options/resolve-stream-options.js';

function integerOption(name: string, value: number | undefined, min: number, fallback: number): number {
  assertInteger(`InMemorySseAdapter ${name}`, value, min);
  return value ?? fallback;
}

/** Options of the in-memory adapter (also `history` in `SseModule.forRoot()`). */
export interface InMemorySseAdapterOptions {
  /** Events kept per channel for replay. Default 1000. */
  maxEvents?: number;
  /** Age (ms) past which events are dropped from history; 0 keeps them by count only. Default 0. */
  maxAgeMs?: number;
  /** Channels whose history is kept; past it, the one published to least recently is dropped. Default 10000. */
  maxChannels?: number;
}

/**
 * The default adapter: ids, history and delivery within this process. Fast
 * (delivery is a synchronous call), but shares nothing with other instances
 * and forgets its history on restart (a new epoch makes old ids `unknown`).
 */
export class InMemorySseAdapter implements SseHubAdapter {
  private readonly epoch = newEpoch();
  private readonly maxEvents: number;
  private readonly maxAgeMs: number;
  private readonly maxChannels: number;
  /** Histories by channel, least recently published first (Map keeps insertion order). */
  private readonly histories = new Map<string, ChannelHistory>();
  /** The highest seq of a history dropped as a whole. */
  private droppedChannelsUpTo = 0;
  private seq = 0;
  private deliver: ((message: SseHubMessage) => void) | undefined;

  constructor(options: InMemorySseAdapterOptions = {}) {
    this.maxEvents = integerOption('maxEvents', options.maxEvents, 0, 1000);
    this.maxAgeMs = integerOption('maxAgeMs', options.maxAgeMs, 0, 0);
    this.maxChannels = integerOption('maxChannels', options.maxChannels, 1, 10_000);
  }

  connect(deliver: (message: SseHubMessage) => void): void {
    this.deliver = deliver;
  }

  publish(channel: string, body: string, except?: string): string {
    const seq = ++this.seq;
    const id = formatEventId(this.epoch, seq);
    const frame = `id: ${id}\n${body}`;
    if (this.maxEvents > 0) this.store({ channel, seq, id, frame });
    this.deliver?.({ type: 'channel', channel, seq, id, frame, except });
    return id;
  }

  send(message: Exclude<SseHubMessage, { type: 'channel' }>): void {
    this.deliver?.(message);
  }

  subscribe(): void {}

  unsubscribe(): void {}

  replay(channels: readonly string[], after: { epoch: string; seq: number }): SseReplay {
    const headId = this.seq > 0 ? formatEventId(this.epoch, this.seq) : undefined;
    if (after.epoch !== this.epoch || after.seq > this.seq) return { events: [], reset: 'unknown', headId };
    // No history kept at all: whatever came after the position is gone, which the client must be told.
    if (this.maxEvents === 0)
      return after.seq < this.seq ? { events: [], reset: 'expired', headId } : { events: [], headId };
    const now = Date.now();
    let expired = false;
    const events: SseStoredEvent[] = [];
    for (const channel of channels) {
      const history = this.histories.get(channel);
      if (!history) {
        if (this.droppedChannelsUpTo > after.seq) expired = true;
        continue;
      }
      history.prune(now);
      if (history.droppedUpTo > after.seq) expired = true;
      for (const event of history.after(after.seq)) events.push(event);
    }
    if (channels.length > 1) events.sort((a, b) => a.seq - b.seq);
    return expired ? { events, reset: 'expired', headId } : { events, headId };
  }

  close(): void {
    this.deliver = undefined;
    this.histories.clear();
  }

  private store(event: SseStoredEvent): void {
    const now = Date.now();
    let history = this.histories.get(event.channel);
    if (history) {
      this.histories.delete(event.channel);
    } else {
      history = new ChannelHistory(this.maxEvents, this.maxAgeMs);
      if (this.histories.size >= this.maxChannels) this.dropLeastRecentChannel();
    }
    this.histories.set(event.channel, history);
    history.add(event, now);
  }

  private dropLeastRecentChannel(): void {
    const [channel, history] = this.histories.entries().next().value as [string, ChannelHistory];
    this.histories.delete(channel);
    const newest = history.newestSeq ?? history.droppedUpTo;
    this.droppedChannelsUpTo = Math.max(this.droppedChannelsUpTo, newest);
  }
}
