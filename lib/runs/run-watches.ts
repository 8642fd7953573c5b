import type { Logger } from '@nestjs/common';
import type { Subscription } from 'rxjs';
import type { SseBroker, SseBrokerMessage } from '../brokers/sse-broker.interface.js';
import { ChannelSubscriptions } from './channel-subscriptions.js';
import { LEASES_CHANNEL, type RunRef } from './run-names.js';
import { decodePayload, decodeRecord, runStateOf, type RunState } from './run-records.js';
import { SSE_RUNS_MESSAGES } from './sse-runs.messages.js';
import { WatchedRun } from './watched-run.js';

/** More records than a run's state channel holds (a start, a cancel, an end, a few retried starts). */
const STATE_PAGE = 32;

/**
 * What this instance hears of runs through the broker: the state channels of
 * the runs it produces or has listeners of (each a {@link WatchedRun}), and
 * the leases channel. The one subscriber of the broker's messages besides
 * the hub: it reads only those channels, and after a `gap` it reads every
 * watched run's state again, so that no cancel or end is missed.
 */
export class RunWatches {
  private readonly runs = new Map<string, WatchedRun>();
  private readonly subscriptions: ChannelSubscriptions;
  private subscription: Subscription | undefined;

  constructor(
    private readonly broker: SseBroker,
    private readonly logger: Logger,
    private readonly heard: { lease(channels: readonly string[]): void; gap(): void },
  ) {
    this.subscriptions = new ChannelSubscriptions(broker, logger);
  }

  open(): void {
    this.subscription ??= this.broker.messages$.subscribe((message) => this.deliver(message));
  }

  close(): void {
    this.subscription?.unsubscribe();
    this.subscriptions.clear();
    this.runs.clear();
  }

  /** How many runs are watched. */
  get size(): number {
    return this.runs.size;
  }

  /** Follows `ref`'s state channel (once subscribed); release it with `release()`. */
  async watch(ref: RunRef): Promise<WatchedRun> {
    let run = this.runs.get(ref.stateChannel);
    if (!run) this.runs.set(ref.stateChannel, (run = new WatchedRun(ref)));
    run.refs++;
    try {
      await this.subscriptions.acquire(ref.stateChannel);
    } catch (error) {
      this.forget(run);
      throw error;
    }
    return run;
  }

  /** One holder of `run` lets go. */
  release(run: WatchedRun): void {
    this.subscriptions.release(run.ref.stateChannel);
    this.forget(run);
  }

  /** Hears the leases channel (while this instance produces runs). */
  watchLeases(): Promise<void> {
    return this.subscriptions.acquire(LEASES_CHANNEL);
  }

  releaseLeases(): void {
    this.subscriptions.release(LEASES_CHANNEL);
  }

  /** The state of a run from its records (`undefined`: never started, or its records are gone). */
  async read(ref: RunRef): Promise<RunState | undefined> {
    const head = await this.broker.head();
    // Seq 0 of the epoch is before every event: the whole (short) state channel.
    const page = await this.broker.read([ref.stateChannel], { epoch: head.epoch, seq: 0 }, STATE_PAGE);
    return runStateOf(page.events);
  }

  private forget(run: WatchedRun): void {
    if (--run.refs <= 0 && this.runs.get(run.ref.stateChannel) === run) this.runs.delete(run.ref.stateChannel);
  }

  private deliver(message: SseBrokerMessage): void {
    if (message.type === 'gap') {
      this.heard.gap();
      for (const run of [...this.runs.values()]) this.reread(run);
      return;
    }
    if (message.type !== 'channel') return;
    if (message.channel === LEASES_CHANNEL) {
      const runs = decodePayload(message.payload)?.runs;
      if (Array.isArray(runs)) this.heard.lease(runs.filter((run): run is string => typeof run === 'string'));
      return;
    }
    const run = this.runs.get(message.channel);
    const record = run && decodeRecord(message.payload);
    if (record) run.record(record);
  }

  private reread(run: WatchedRun): void {
    this.read(run.ref).then(
      (state) => run.apply(state),
      (error: unknown) => this.logger.warn(SSE_RUNS_MESSAGES.watchFailed(run.ref.id, error)),
    );
  }
}
