/**
 * The broker subscriptions of channels still under way, by channel: a stream
 * that joins a channel while its first stream's `subscribe()` has not
 * resolved waits for that same subscription, instead of opening before this
 * instance receives the channel's events (and losing those published
 * meanwhile).
 */
export class PendingSubscriptions {
  private readonly pending = new Map<string, Promise<void>>();

  /** Remembers `subscription` of `channel` until it settles; returns it. */
  track(channel: string, subscription: PromiseLike<void>): Promise<void> {
    const tracked = Promise.resolve(subscription);
    this.pending.set(channel, tracked);
    const forget = () => {
      if (this.pending.get(channel) === tracked) this.pending.delete(channel);
    };
    tracked.then(forget, forget);
    return tracked;
  }

  /** The subscription of `channel` still under way, if any. */
  of(channel: string): Promise<void> | undefined {
    return this.pending.get(channel);
  }
}
