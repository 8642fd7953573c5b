/** A message as it came off the subscriber connection: its Pub/Sub channel and text. */
export type RawMessage = readonly [pubsubChannel: string, text: string];

/**
 * The messages received while the subscriber connection is being set up
 * again, delivered once it is; at most `max` of them. Past that, the
 * "recoverable" ones (channel events and sync markers: what history holds)
 * are let go of, now and for the rest of the hold, and `droppedRecoverable`
 * says so: the `gap` the broker reports next makes the hub read them from
 * history. The others (broadcasts, targeted sends), stored nowhere, are
 * dropped past `max` and counted.
 */
export class RedisSseHeldMessages {
  private entries: RawMessage[] = [];
  /** Channel events were let go of: a `gap` must follow. */
  droppedRecoverable = false;
  /** Messages stored nowhere that were dropped. */
  droppedOthers = 0;

  constructor(
    private readonly max: number,
    private readonly isRecoverable: (pubsubChannel: string) => boolean,
  ) {}

  get size(): number {
    return this.entries.length;
  }

  /** Holds a message; returns `false` if it was one stored nowhere and had to be dropped. */
  push(pubsubChannel: string, text: string): boolean {
    const recoverable = this.isRecoverable(pubsubChannel);
    if (this.entries.length >= this.max && !this.droppedRecoverable) {
      this.entries = this.entries.filter(([channel]) => !this.isRecoverable(channel));
      this.droppedRecoverable = true;
    }
    if (recoverable) {
      if (!this.droppedRecoverable) this.entries.push([pubsubChannel, text]);
      return true;
    }
    if (this.entries.length >= this.max) {
      this.droppedOthers++;
      return false;
    }
    this.entries.push([pubsubChannel, text]);
    return true;
  }

  /** What was held, in the order it arrived. */
  take(): RawMessage[] {
    const entries = this.entries;
    this.entries = [];
    return entries;
  }
}
