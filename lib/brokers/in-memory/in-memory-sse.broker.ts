import { Subject, type Observable } from 'rxjs';
import type {
  SseBroker,
  SseBrokerMessage,
  SseBrokerPosition,
  SseBrokerSentMessage,
  SseHistoryPage,
} from '../sse-broker.interface.js';
import { newEpoch } from '../../protocol/event-id.js';
import { checkInteger } from '../../options/check-option.js';
import { mergeHistoryPages } from '../history-page.js';
import { ChannelHistory } from './channel-history.js';

/** Options of the in-memory broker (also `history` in `SseModule.forRoot()`). */
export interface InMemorySseBrokerOptions {
  /** Events kept per channel for replay. Default 1000; 0 keeps none. */
  maxEvents?: number;
  /** Age (ms) past which events are dropped from history; 0 keeps them by count only. Default 0. */
  maxAgeMs?: number;
  /** Channels whose history is kept; past it, the one published to least recently is dropped. Default 10000. */
  maxChannels?: number;
}

/**
 * The default broker: positions, history and delivery within this process.
 * Fast (delivery is a synchronous call), but shares nothing with other
 * instances and forgets its history on restart (a new epoch makes old
 * positions `unknown`).
 */
export class InMemorySseBroker implements SseBroker {
  private readonly epoch = newEpoch();
  private readonly maxEvents: number;
  private readonly maxAgeMs: number;
  private readonly maxChannels: number;
  /** Histories by channel, least recently published first (Map keeps insertion order). */
  private readonly histories = new Map<string, ChannelHistory>();
  /** The highest seq of a history dropped as a whole. */
  private droppedChannelsUpTo = 0;
  private seq = 0;
  private readonly subject = new Subject<SseBrokerMessage>();
  readonly messages$: Observable<SseBrokerMessage> = this.subject.asObservable();

  constructor(options: InMemorySseBrokerOptions = {}) {
    this.maxEvents = checkInteger('InMemorySseBroker maxEvents', options.maxEvents, 0, 1000);
    this.maxAgeMs = checkInteger('InMemorySseBroker maxAgeMs', options.maxAgeMs, 0, 0);
    this.maxChannels = checkInteger('InMemorySseBroker maxChannels', options.maxChannels, 1, 10_000);
  }

  connect(): void {}

  publish(channel: string, payload: string, except?: string): SseBrokerPosition {
    const seq = ++this.seq;
    const event = { channel, epoch: this.epoch, seq, payload };
    if (this.maxEvents > 0) this.store(event);
    this.subject.next(except === undefined ? { type: 'channel', ...event } : { type: 'channel', ...event, except });
    return { epoch: this.epoch, seq };
  }

  send(message: SseBrokerSentMessage): void {
    this.subject.next(message);
  }

  subscribe(): void {}

  unsubscribe(): void {}

  read(channels: readonly string[], after: SseBrokerPosition, limit: number): SseHistoryPage {
    const head = this.seq > 0 ? { epoch: this.epoch, seq: this.seq } : undefined;
    if (after.epoch !== this.epoch || after.seq > this.seq) return { events: [], more: false, reset: 'unknown', head };
    // No history kept at all: whatever came after the position is gone, which the client must be told.
    if (this.maxEvents === 0) {
      return after.seq < this.seq ? { events: [], more: false, reset: 'expired', head } : { events: [], more: false, head };
    }
    const now = Date.now();
    let expired = false;
    const perChannel = [];
    for (const channel of new Set(channels)) {
      const history = this.histories.get(channel);
      if (!history) {
        if (this.droppedChannelsUpTo > after.seq) expired = true;
        continue;
      }
      history.prune(now);
      if (history.droppedUpTo > after.seq) expired = true;
      perChannel.push(history.after(after.seq, limit + 1));
    }
    const page = mergeHistoryPages(perChannel, limit);
    return expired ? { ...page, reset: 'expired', head } : { ...page, head };
  }

  close(): void {
    this.histories.clear();
    this.subject.complete();
  }

  private store(event: { channel: string; epoch: string; seq: number; payload: string }): void {
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
    this.droppedChannelsUpTo = Math.max(this.droppedChannelsUpTo, history.newestSeq ?? history.droppedUpTo);
  }
}
