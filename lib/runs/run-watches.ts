import { ServiceUnavailableException, type Logger } from '@nestjs/common';
import type { Subscription } from 'rxjs';
import type { SseBroker, SseBrokerEvent, SseBrokerMessage } from '../brokers/sse-broker.interface.js';
import { ChannelSubscriptions } from './channel-subscriptions.js';
import { LEASES_TARGET, type RunRef } from './run-names.js';
import { decodePayload, decodeRecord, runStateOf, type RunState } from './run-records.js';
import { SSE_RUNS_MESSAGES } from './sse-runs.messages.js';
import { WatchedRun } from './watched-run.js';

/** Records read per page of a state channel (a start, its beats, a cancel, an end). */
const STATE_PAGE = 256;
/** Pages read at most for one state: far more than the broker's per-channel bounds keep. */
const MAX_STATE_PAGES = 64;
/** State reads at once after a gap: the broker is just back, it is not to be flooded. */
const REREADS_AT_ONCE = 8;

/**
 * What this instance hears of runs through the broker: the state channels of
 * the runs it produces or has listeners of (each a {@link WatchedRun}), and
 * the leases other instances send (`send()`: not stored). The one subscriber
 * of the broker's messages besides the hub: it reads only those, and after
 * a `gap` it reads every watched run's state again (a few at a time), so
 * that no cancel or end is missed. Logs under `SseRuns` (it is part of it).
 */
export class RunWatches {
  private readonly runs = new Map<string, WatchedRun>();
  private readonly subscriptions: ChannelSubscriptions;
  private subscription: Subscription | undefined;
  private closed = false;
  /** Runs to read again after a gap, and how many reads of them are under way. */
  private readonly rereads = new Set<WatchedRun>();
  private rereading = 0;

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

  /** Stops hearing the broker: a watch asked for afterwards is refused (the app shuts down). */
  close(): void {
    this.closed = true;
    this.subscription?.unsubscribe();
    this.subscriptions.clear();
    this.runs.clear();
    this.rereads.clear();
  }

  /** How many runs are watched. */
  get size(): number {
    return this.runs.size;
  }

  /** Follows `ref`'s state channel (once subscribed); release it with `release()`. 503 once closed. */
  async watch(ref: RunRef): Promise<WatchedRun> {
    if (this.closed) throw new ServiceUnavailableException(SSE_RUNS_MESSAGES.shuttingDown());
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
    if (this.closed) return;
    this.subscriptions.release(run.ref.stateChannel);
    this.forget(run);
  }

  /** The state of a run from its records (`undefined`: never started, or its records are gone). */
  async read(ref: RunRef): Promise<RunState | undefined> {
    const head = await this.broker.head();
    // Seq 0 of the epoch is before every event: the whole state channel, page by page.
    let after = { epoch: head.epoch, seq: 0 };
    const events: SseBrokerEvent[] = [];
    for (let pages = 0; pages < MAX_STATE_PAGES; pages++) {
      const page = await this.broker.read([ref.stateChannel], after, STATE_PAGE);
      events.push(...page.events);
      const last = page.events.at(-1);
      if (!page.more || !last) break;
      after = { epoch: last.epoch, seq: last.seq };
    }
    return runStateOf(events);
  }

  private forget(run: WatchedRun): void {
    if (--run.refs <= 0 && this.runs.get(run.ref.stateChannel) === run) {
      this.runs.delete(run.ref.stateChannel);
      this.rereads.delete(run);
    }
  }

  private deliver(message: SseBrokerMessage): void {
    if (message.type === 'gap') {
      this.heard.gap();
      for (const run of this.runs.values()) {
        run.heard();
        this.rereads.add(run);
      }
      return this.rereadSome();
    }
    if (message.type === 'connection' && message.connectionId === LEASES_TARGET) {
      const runs = decodePayload(message.payload)?.runs;
      if (Array.isArray(runs)) this.heard.lease(runs.filter((run): run is string => typeof run === 'string'));
      return;
    }
    if (message.type !== 'channel') return;
    const run = this.runs.get(message.channel);
    const record = run && decodeRecord(message.payload);
    if (record) run.record(record, message.seq);
  }

  /** Reads the state of the runs waiting for it, at most `REREADS_AT_ONCE` at a time. */
  private rereadSome(): void {
    while (this.rereading < REREADS_AT_ONCE && this.rereads.size > 0) {
      const run: WatchedRun = this.rereads.values().next().value!;
      this.rereads.delete(run);
      this.rereading++;
      this.read(run.ref)
        .then(
          (state) => run.apply(state),
          (error: unknown) => this.logger.warn(SSE_RUNS_MESSAGES.watchFailed(run.ref.id, error)),
        )
        .finally(() => {
          this.rereading--;
          if (!this.closed) this.rereadSome();
        });
    }
  }
}
