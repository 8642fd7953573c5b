import type { SseConnection } from '../connection/sse-connection.js';
import type { SseHubMessage } from '../interfaces/sse-hub-adapter.interface.js';

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

  constructor(readonly connection: SseConnection) {}

  startBuffering(): void {
    this.replaying++;
    this.buffer ??= [];
  }

  /** Ends one buffering period; returns what was buffered once no join is replaying anymore. */
  stopBuffering(): FramedMessage[] {
    if (--this.replaying > 0) return [];
    const buffered = this.buffer ?? [];
    this.buffer = undefined;
    return buffered;
  }
}
