import type { Logger } from '@nestjs/common';
import type { SseBroker } from '../brokers/sse-broker.interface.js';
import { LEASES_CHANNEL } from './run-names.js';
import { encodeRecord } from './run-records.js';
import type { RunProducer } from './run-producer.js';
import type { RunWatches } from './run-watches.js';
import type { ResolvedSseRunsOptions } from './sse-runs-options.interface.js';
import { SSE_RUNS_MESSAGES } from './sse-runs.messages.js';

/** How many runs one lease names: a message stays small whatever the number of runs listened to here. */
const LEASE_RUNS = 100;
/** How long shutdown waits for the runs it stops to record their end. */
const SHUTDOWN_GRACE_MS = 2000;

/**
 * The runs of this instance: those it produces (at most `maxRuns`) and
 * those it has listeners of, with the one timer that serves them all. On
 * each tick, a run with no listener here or elsewhere for `idleTimeoutMs`
 * stops (`idle`), one older than `maxDurationMs` stops (`timeout`), and,
 * every third of `idleTimeoutMs`, the runs listened to here but produced
 * elsewhere are named on the leases channel, so that their instance knows
 * they have listeners. The one owner of those maps and of the timer.
 */
export class LocalRuns {
  private readonly producers = new Map<string, RunProducer>();
  /** Listeners of this instance, by run channel. */
  private readonly listening = new Map<string, number>();
  private timer: ReturnType<typeof setInterval> | undefined;
  private lastLease = 0;
  private leaseFailing = false;

  constructor(
    private readonly broker: SseBroker,
    private readonly watches: RunWatches,
    private readonly options: ResolvedSseRunsOptions,
    private readonly logger: Logger,
  ) {}

  /** Runs this instance produces. */
  get size(): number {
    return this.producers.size;
  }

  /** This instance's producer of the run on `channel`, while it runs. */
  get(channel: string): RunProducer | undefined {
    return this.producers.get(channel);
  }

  add(run: RunProducer): void {
    this.producers.set(run.ref.channel, run);
    if (this.producers.size === 1 && this.options.idleTimeoutMs > 0) {
      this.watches.watchLeases().catch((error: unknown) => this.logger.warn(SSE_RUNS_MESSAGES.leaseFailed(error)));
    }
    this.schedule();
  }

  remove(run: RunProducer): void {
    if (this.producers.get(run.ref.channel) !== run) return;
    this.producers.delete(run.ref.channel);
    if (this.producers.size === 0 && this.options.idleTimeoutMs > 0) this.watches.releaseLeases();
    this.schedule();
  }

  /** A listener of the run on `channel` opened here; returns the function to call when it is over. */
  listened(channel: string): () => void {
    this.listening.set(channel, (this.listening.get(channel) ?? 0) + 1);
    this.producers.get(channel)?.heard(Date.now());
    this.schedule();
    let done = false;
    return () => {
      if (done) return;
      done = true;
      const left = (this.listening.get(channel) ?? 1) - 1;
      if (left > 0) this.listening.set(channel, left);
      else this.listening.delete(channel);
      this.producers.get(channel)?.heard(Date.now());
      this.schedule();
    };
  }

  /** Another instance has listeners of these runs. */
  leased(channels: readonly string[]): void {
    const now = Date.now();
    for (const channel of channels) this.producers.get(channel)?.heard(now);
  }

  /** The broker may have lost leases: every run counts as listened to now. */
  gap(): void {
    this.leased([...this.producers.keys()]);
  }

  /** Stops every run (outcome `shutdown`) and waits a little for their end to be recorded. */
  async close(): Promise<void> {
    this.stopTimer();
    const runs = [...this.producers.values()];
    for (const run of runs) run.stop('shutdown');
    let grace: ReturnType<typeof setTimeout> | undefined;
    await Promise.race([
      Promise.all(runs.map((run) => run.done)),
      new Promise<void>((resolve) => (grace = setTimeout(resolve, SHUTDOWN_GRACE_MS))),
    ]);
    clearTimeout(grace);
    for (const run of runs) run.dispose();
    this.producers.clear();
    this.listening.clear();
  }

  /** The timer runs while there is something to check. */
  private schedule(): void {
    const needed = this.producers.size > 0 || (this.listening.size > 0 && this.options.idleTimeoutMs > 0);
    if (!needed) return this.stopTimer();
    if (this.timer) return;
    const { idleTimeoutMs } = this.options;
    const period = idleTimeoutMs > 0 ? Math.max(10, Math.min(1000, Math.floor(idleTimeoutMs / 4))) : 1000;
    this.timer = setInterval(() => this.tick(), period);
    this.timer.unref?.();
  }

  private stopTimer(): void {
    clearInterval(this.timer);
    this.timer = undefined;
  }

  private tick(): void {
    const now = Date.now();
    const { idleTimeoutMs, maxDurationMs } = this.options;
    for (const run of [...this.producers.values()]) {
      if (this.listening.has(run.ref.channel)) run.heard(now);
      if (maxDurationMs > 0 && now - run.startedAt >= maxDurationMs) run.stop('timeout');
      else if (idleTimeoutMs > 0 && now - run.lastHeard >= idleTimeoutMs) run.stop('idle');
    }
    if (idleTimeoutMs > 0 && now - this.lastLease >= idleTimeoutMs / 3) this.lease(now);
  }

  /** Names the runs listened to here and produced elsewhere on the leases channel. */
  private lease(now: number): void {
    const remote = [...this.listening.keys()].filter((channel) => !this.producers.has(channel));
    if (remote.length === 0) return;
    this.lastLease = now;
    for (let i = 0; i < remote.length; i += LEASE_RUNS) {
      const payload = encodeRecord({ runs: remote.slice(i, i + LEASE_RUNS) });
      Promise.resolve()
        .then(() => this.broker.publish(LEASES_CHANNEL, payload))
        .then(
          () => (this.leaseFailing = false),
          (error: unknown) => {
            if (!this.leaseFailing) this.logger.warn(SSE_RUNS_MESSAGES.leaseFailed(error));
            this.leaseFailing = true;
          },
        );
    }
  }
}
