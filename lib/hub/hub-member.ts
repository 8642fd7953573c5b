import type { SseConnection } from '../stream/sse-connection.js';
import type { SseHubMessage } from '../brokers/sse-broker.interface.js';

/** A hub message that carries a frame. */
export type FramedMessage = Exclude<SseHubMessage, { type: 'disconnect' }>;

/** A stream in the hub: the channels it joined, and what waits while a join replays history. */
export class HubMember {
  readonly channels = new Map<string, number>();
  /** Messages that arrived while a join was still replaying; `undefined` when none is. */
  buffer: FramedMessage[] | undefined;
  /** The id of the newest channel event written to the stream: where a catch-up after a lost broker connection resumes. */
  lastEventId: string | undefined;
  /** Channels joined before the stream opened, reported in `lifecycle$` once it has. */
  joinsBeforeOpen: (readonly string[])[] | undefined;
  private replaying = 0;
  /** Per channel, the newest seq a replay of the current buffering period has written. */
  private replayed: Map<string, number> | undefined;

  constructor(readonly connection: SseConnection) {}

  startBuffering(): void {
    this.replaying++;
    this.buffer ??= [];
  }

  /**
   * Ends one buffering period, whose replay wrote `channels` up to `replayedUpTo`.
   * Once no join is replaying anymore, returns what was buffered that no
   * replay of the period has written already: joins that replay at the same
   * time each skip what any of them replayed.
   */
  stopBuffering(channels: readonly string[] = [], replayedUpTo = 0): FramedMessage[] {
    if (replayedUpTo > 0) {
      this.replayed ??= new Map();
      for (const channel of channels) {
        this.replayed.set(channel, Math.max(this.replayed.get(channel) ?? 0, replayedUpTo));
      }
    }
    if (--this.replaying > 0) return [];
    const buffered = this.buffer ?? [];
    const replayed = this.replayed;
    this.buffer = undefined;
    this.replayed = undefined;
    if (!replayed) return buffered;
    return buffered.filter(
      (message) => message.type !== 'channel' || message.seq > (replayed.get(message.channel) ?? 0),
    );
  }
}
