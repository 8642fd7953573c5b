import type { SseBrokerPosition } from '../sse-broker.interface.js';
import { newEpoch } from '../../protocol/event-id.js';
import { timeoutError } from './redis-sse-failure.js';
import type { RedisSseKeys } from './redis-sse.keys.js';
import type { RedisSseClient, RedisSsePubSub } from './redis-sse-pubsub.js';
import { MARKER_SCRIPT } from './redis-sse.scripts.js';

interface Waiter {
  readonly position: SseBrokerPosition;
  settle(error?: unknown): void;
}

/**
 * Sync markers: Redis publishes the namespace's current position to this
 * instance's Pub/Sub channel, after every event up to it (scripts run one at
 * a time, and the subscriber connection receives in PUBLISH order). Once a
 * marker has arrived, this instance has received every event up to it of the
 * channels it subscribed to. A marker after a new subscription keeps a
 * catch-up after a reconnection from reading events published before a
 * stream joined; `head()` waits for its own marker, so that what arrives
 * after it is newer.
 */
export class RedisSseMarkers {
  private queued = false;
  private readonly waiters = new Set<Waiter>();

  /** Set once the link closed: what a head still running then rejects with. */
  private closedWith: unknown;

  constructor(
    private readonly keys: RedisSseKeys,
    /** This instance's Pub/Sub channel. */
    private readonly instanceChannel: string,
    private readonly timeoutMs: number,
    /** What the marker is published with. */
    private readonly pubsub: RedisSsePubSub,
    /** What the link has received: every event up to this position of its channels. */
    private readonly received: () => SseBrokerPosition | undefined,
  ) {}

  /** Publishes a marker at the end of this turn (one for many subscriptions), on the connection `command()` gives then, if any. */
  queue(command: () => RedisSseClient | undefined): void {
    if (this.queued) return;
    this.queued = true;
    setImmediate(() => {
      this.queued = false;
      const client = command();
      if (client) this.publish(client).catch(() => undefined);
    });
  }

  /**
   * The namespace's newest position (its epoch created if it has none), once
   * every event up to it has been received here; rejects with a timeout
   * after `timeoutMs` without the marker (the subscriber connection is away).
   */
  async head(client: RedisSseClient): Promise<SseBrokerPosition> {
    const head = await this.publish(client);
    if (this.reached(head)) return head;
    // Closed while the script ran: no waiter (and no timer) may outlive the link.
    if (this.closedWith !== undefined) throw this.closedWith;
    await new Promise<void>((resolve, reject) => {
      const waiter: Waiter = {
        position: head,
        settle: (error) => {
          clearTimeout(timer);
          this.waiters.delete(waiter);
          if (error === undefined) resolve();
          else reject(error);
        },
      };
      const timer = setTimeout(() => waiter.settle(timeoutError(this.timeoutMs)), this.timeoutMs);
      this.waiters.add(waiter);
    });
    return head;
  }

  /** The link received more (a marker, or a channel event): resolves the heads it covers. */
  advanced(): void {
    for (const waiter of this.waiters) if (this.reached(waiter.position)) waiter.settle();
  }

  /** The link is closing: every head waiting rejects with `error`. */
  close(error: unknown): void {
    this.closedWith = error;
    for (const waiter of [...this.waiters]) waiter.settle(error);
  }

  private reached(position: SseBrokerPosition): boolean {
    const received = this.received();
    return received !== undefined && received.epoch === position.epoch && received.seq >= position.seq;
  }

  private async publish(client: RedisSseClient): Promise<SseBrokerPosition> {
    const keys = [this.keys.epoch, this.keys.seq];
    const [epoch, seq] = (await MARKER_SCRIPT.run(client, keys, [
      newEpoch(),
      this.instanceChannel,
      this.pubsub.publishCommand,
    ])) as [string, string];
    return { epoch: String(epoch), seq: Number(seq) };
  }
}
