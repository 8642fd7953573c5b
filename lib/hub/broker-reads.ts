import type { SseBroker, SseBrokerPosition, SseHistoryPage } from '../brokers/sse-broker.interface.js';
import { isThenable } from '../utils/is-thenable.js';

/**
 * What the delivery engine reads from the broker: pages of history and the
 * head. Streams that ask for the same at the same time share one read,
 * unless it was issued before the stream's last join: it could miss an event
 * the stream has not received live. Counts the joins for that.
 */
export class BrokerReads {
  /** Reads in flight: `issued` is the join stamp when each was issued. */
  private readonly inFlight = new Map<string, { read: Promise<unknown>; issued: number }>();
  private stamp = 0;

  constructor(private readonly broker: SseBroker) {}

  /** A stream just joined channels: the stamp a read must have been issued at (or after) to stand for it. */
  joined(): number {
    return ++this.stamp;
  }

  /** One page of `channels` after `after`, for a stream whose last join has `joinStamp`. */
  page(
    joinStamp: number,
    channels: string[],
    after: SseBrokerPosition,
    limit: number,
  ): SseHistoryPage | Promise<SseHistoryPage> {
    const key = `${channels.join(' ')}|${after.epoch}.${after.seq}|${limit}`;
    return this.shared(key, joinStamp, () => this.broker.read(channels, after, limit));
  }

  /** The broker's head, for a stream whose last join has `joinStamp` (see `SseBroker.head()`). */
  head(joinStamp: number): SseBrokerPosition | Promise<SseBrokerPosition> {
    // No channel name has a space or a '|': no page's key is this one.
    return this.shared('head', joinStamp, () => this.broker.head());
  }

  private shared<T>(key: string, joinStamp: number, read: () => T | PromiseLike<T>): T | Promise<T> {
    const shared = this.inFlight.get(key);
    if (shared && shared.issued >= joinStamp) return shared.read as Promise<T>;
    const result = read();
    if (!isThenable(result)) return result;
    const entry = { read: Promise.resolve(result), issued: this.stamp };
    const done = () => this.inFlight.get(key) === entry && this.inFlight.delete(key);
    entry.read.then(done, done);
    this.inFlight.set(key, entry);
    return entry.read;
  }
}
