import type { Msg, Subscription } from 'nats';
import { parseDelivery, readStoredEvent, type NatsSseStoredEvent } from './nats-sse.codec.js';
import type { NatsSseJetStream } from './nats-sse-jetstream.js';
import type { NatsSseNames } from './nats-sse.names.js';

/** The idle heartbeat asked of the consumer; three missed in a row restart it. */
const HEARTBEAT_MS = 2000;
const NANOS_PER_MS = 1_000_000;

/** What the feed reports to its link. */
export interface NatsSseFeedEvents {
  /** A stored event of the namespace, in seq order across all channels, each once. */
  event(event: NatsSseStoredEvent): void;
  /** A message on the feed's subject that the broker did not write. */
  malformed(subject: string): void;
  /**
   * The consumer lost its place (a delivery skipped, heartbeats missed, the
   * server forgot it): the link must start it again from `position`, after a
   * `gap`, as after a reconnection.
   */
  broken(reason: string): void;
}

interface Waiter {
  seq: number;
  resolve(): void;
}

/**
 * This instance's feed of the namespace's events: one ordered push consumer
 * of JetStream on every channel subject (ack none, flow control, idle
 * heartbeats, in memory), made by the broker and replaced whenever it loses
 * its place. Delivers each event once, in seq order across every channel
 * (what the hub's one position per stream needs), from the position it was
 * started at. The cost: every instance receives every event of its
 * namespace, and keeps those of the channels it has streams in.
 */
export class NatsSseFeed {
  /** Every event of the namespace up to this seq was delivered (or no longer exists). */
  position = 0;
  /** Bumped at each start and stop: deliveries for an older consumer are ignored. */
  private generation = 0;
  private subscription: Subscription | undefined;
  private consumer: string | undefined;
  private consumerSeq = 0;
  private lastSeen = 0;
  /** When the last event was delivered, and how many more the consumer had for this instance then. */
  private lastDelivery = 0;
  private pending = 0;
  private monitor: NodeJS.Timeout | undefined;
  private readonly waiters: Waiter[] = [];
  /** Deletions of replaced consumers under way (awaited on close). */
  private readonly deleting = new Set<Promise<void>>();

  constructor(
    private readonly api: NatsSseJetStream,
    private readonly names: NatsSseNames,
    private readonly epoch: () => string,
    private readonly events: NatsSseFeedEvents,
  ) {}

  /** Whether a consumer is (being) set up. */
  get running(): boolean {
    return this.subscription !== undefined;
  }

  /**
   * (Re)starts the feed after `position`: a new consumer from the next seq,
   * whose deliveries start at once (possibly before the creation is
   * answered). Rejects if JetStream does not make it (the link retries).
   */
  async start(position: number): Promise<void> {
    this.halt();
    const generation = this.generation;
    this.position = position;
    this.consumerSeq = 0;
    this.lastSeen = Date.now();
    this.lastDelivery = this.lastSeen;
    this.pending = 0;
    const inbox = this.api.nats.createInbox();
    this.subscription = this.api.nc.subscribe(inbox, {
      callback: (error, msg) => {
        if (!error) this.onMessage(generation, msg);
      },
    });
    const info = await this.api.addConsumer(this.names.eventsStream, {
      deliver_subject: inbox,
      filter_subject: this.names.eventsFilter,
      deliver_policy: 'by_start_sequence' as never,
      opt_start_seq: position + 1,
      ack_policy: 'none' as never,
      flow_control: true,
      idle_heartbeat: HEARTBEAT_MS * NANOS_PER_MS,
      mem_storage: true,
      num_replicas: 1,
    });
    if (generation !== this.generation) {
      this.forget(info.name);
      return;
    }
    this.consumer = info.name;
    this.monitor ??= setInterval(() => this.checkHeartbeats(), HEARTBEAT_MS);
    this.monitor.unref();
  }

  /** The connection is lost: nothing arrives until the link starts the feed again (with a new consumer). */
  pause(): void {
    this.halt(false);
  }

  /**
   * Resolves once every event up to `seq` has been delivered (or the feed is
   * stopped for good); `cancel()` forgets the wait, for a caller that gives up.
   */
  reached(seq: number): { promise: Promise<void>; cancel(): void } {
    if (this.position >= seq) return { promise: Promise.resolve(), cancel: () => undefined };
    let waiter!: Waiter;
    const promise = new Promise<void>((resolve) => {
      waiter = { seq, resolve };
      this.waiters.push(waiter);
    });
    const cancel = () => {
      const index = this.waiters.indexOf(waiter);
      if (index >= 0) this.waiters.splice(index, 1);
    };
    return { promise, cancel };
  }

  /**
   * Stops for good: the consumer is deleted if `deleteConsumer` (best
   * effort; on a connection that closes next, the server drops it anyway),
   * and waits end (their callers are refused by the broker's close).
   */
  async stop(deleteConsumer: boolean): Promise<void> {
    this.halt(deleteConsumer);
    this.waiters.splice(0).forEach((waiter) => waiter.resolve());
    await Promise.all([...this.deleting]);
  }

  private halt(deleteConsumer = true): void {
    this.generation++;
    clearInterval(this.monitor);
    this.monitor = undefined;
    this.subscription?.unsubscribe();
    this.subscription = undefined;
    if (this.consumer !== undefined && deleteConsumer) this.forget(this.consumer);
    this.consumer = undefined;
  }

  /** Deletes a consumer that is replaced (the server would drop it anyway once no one listens). */
  private forget(name: string): void {
    if (this.api.nc.isClosed()) return;
    const deletion = this.api
      .deleteConsumer(this.names.eventsStream, name)
      .catch(() => undefined)
      .finally(() => this.deleting.delete(deletion));
    this.deleting.add(deletion);
  }

  private onMessage(generation: number, msg: Msg): void {
    if (generation !== this.generation) return;
    this.lastSeen = Date.now();
    const code = msg.headers?.code ?? 0;
    if (code !== 0) return this.onStatus(msg);
    const delivery = parseDelivery(msg.reply);
    if (!delivery) return this.events.malformed(msg.subject);
    if (delivery.consumerSeq !== this.consumerSeq + 1) {
      return this.break(`delivery ${delivery.consumerSeq} after ${this.consumerSeq}`);
    }
    this.consumerSeq = delivery.consumerSeq;
    this.lastDelivery = this.lastSeen;
    this.pending = delivery.pending;
    if (delivery.streamSeq <= this.position) return;
    this.position = delivery.streamSeq;
    const channel = this.names.channelOf(msg.subject);
    const event =
      channel === undefined
        ? undefined
        : readStoredEvent(channel, this.epoch(), delivery.streamSeq, msg.headers, msg.data);
    if (event) this.events.event(event);
    else this.events.malformed(msg.subject);
    this.settle();
  }

  /** A heartbeat (which says what the consumer last sent) or a flow control request (to answer). */
  private onStatus(msg: Msg): void {
    if (msg.reply) {
      msg.respond();
      return;
    }
    const stalled = msg.headers?.get('Nats-Consumer-Stalled');
    // Waiting for the answer to a flow control request that was lost: answered now, it goes on.
    if (stalled) return this.api.nc.publish(stalled);
    const last = msg.headers?.get('Nats-Last-Consumer');
    if (last && Number(last) !== this.consumerSeq) return this.break(`a heartbeat after delivery ${last}`);
    // A heartbeat comes when the consumer has sent nothing for a while: it should have sent what it has.
    if (this.idleWithPending(HEARTBEAT_MS)) this.break(`idle with ${this.pending} events pending`);
  }

  private checkHeartbeats(): void {
    if (Date.now() - this.lastSeen > 3 * HEARTBEAT_MS) this.break('heartbeats missed');
    else if (this.idleWithPending(2 * HEARTBEAT_MS)) this.break(`idle with ${this.pending} events pending`);
  }

  /**
   * The consumer said it had more events after its last delivery, and sent
   * none for `ms`: it stalled (seen on nats-server 2.9 under load after
   * consumers were replaced, heartbeats still coming), and is restarted.
   */
  private idleWithPending(ms: number): boolean {
    return this.pending > 0 && Date.now() - this.lastDelivery >= ms;
  }

  /** Stops at once (what this consumer still delivers is ignored) and asks the link for a restart. */
  private break(reason: string): void {
    this.halt();
    this.events.broken(reason);
  }

  private settle(): void {
    for (let i = this.waiters.length - 1; i >= 0; i--) {
      if (this.waiters[i].seq > this.position) continue;
      this.waiters[i].resolve();
      this.waiters.splice(i, 1);
    }
  }
}
