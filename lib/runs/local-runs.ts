import type { Logger } from '@nestjs/common';
import type { SseBroker } from '../brokers/sse-broker.interface.js';
import { LostRuns } from './lost-runs.js';
import { LEASES_TARGET } from './run-names.js';
import { encodeRecord } from './run-records.js';
import type { RunProducer } from './run-producer.js';
import { beatIntervalMs, lostAfterMs, tickMs } from './run-timing.js';
import type { RunWatches } from './run-watches.js';
import type { ResolvedSseRunsOptions } from './sse-runs-options.interface.js';
import { SSE_RUNS_MESSAGES } from './sse-runs.messages.js';
import type { WatchedRun } from './watched-run.js';

/** How many runs one lease names: a message stays small whatever the number of runs listened to here. */
const LEASE_RUNS = 100;
/** How long shutdown waits for the runs it stops to record their end. */
const SHUTDOWN_GRACE_MS = 2000;

/**
 * The runs of this instance: those it produces (at most `maxRuns`) and
 * those it has listeners of, with the one timer that serves them all. On
 * each tick, a run with no listener here or elsewhere for `idleTimeoutMs`
 * stops (`idle`), one older than `maxDurationMs` stops (`timeout`), each
 * running one records its state again every beat (see `beatIntervalMs`);
 * the runs listened to here but produced elsewhere are named in a lease
 * (a broker `send()`, not stored) every beat and as soon as their first
 * listener here opens, so that their instance knows they have listeners;
 * and one of those whose state nobody recorded for `lostAfterMs` is looked
 * into (`LostRuns`). The one owner of those maps and of the timer. Logs
 * under `SseRuns` (it is part of it).
 */
export class LocalRuns {
  private readonly producers = new Map<string, RunProducer>();
  /** Listeners of this instance, by run channel, with the run they follow. */
  private readonly listening = new Map<string, { run: WatchedRun; count: number }>();
  private readonly lost: LostRuns;
  private timer: ReturnType<typeof setInterval> | undefined;
  private lastLease = 0;
  private leaseFailing = false;
  private closed = false;

  constructor(
    private readonly broker: SseBroker,
    watches: RunWatches,
    private readonly options: ResolvedSseRunsOptions,
    private readonly logger: Logger,
  ) {
    this.lost = new LostRuns(broker, watches, options, logger);
  }

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
    this.schedule();
  }

  remove(run: RunProducer): void {
    if (this.producers.get(run.ref.channel) !== run) return;
    this.producers.delete(run.ref.channel);
    this.schedule();
  }

  /** A listener of `run` opened here; returns the function to call when it is over. */
  listened(run: WatchedRun): () => void {
    const channel = run.ref.channel;
    const entry = this.listening.get(channel) ?? { run, count: 0 };
    this.listening.set(channel, entry);
    // Its first listener here: the instance that runs it hears of it now, not at the next lease.
    if (entry.count++ === 0 && !this.producers.has(channel) && this.options.idleTimeoutMs > 0)
      this.sendLease([channel]);
    this.producers.get(channel)?.heard(Date.now());
    this.schedule();
    let done = false;
    return () => {
      if (done) return;
      done = true;
      if (--entry.count <= 0 && this.listening.get(channel) === entry) this.listening.delete(channel);
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
    this.closed = true;
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

  /** The timer runs while there is something to check (and not once closed). */
  private schedule(): void {
    if (this.closed || (this.producers.size === 0 && this.listening.size === 0)) return this.stopTimer();
    if (this.timer) return;
    this.timer = setInterval(() => this.tick(), tickMs(this.options));
    this.timer.unref?.();
  }

  private stopTimer(): void {
    clearInterval(this.timer);
    this.timer = undefined;
  }

  private tick(): void {
    const now = Date.now();
    const { idleTimeoutMs, maxDurationMs } = this.options;
    const beat = beatIntervalMs(this.options);
    for (const run of [...this.producers.values()]) {
      if (this.listening.has(run.ref.channel)) run.heard(now);
      if (maxDurationMs > 0 && now - run.startedAt >= maxDurationMs) run.stop('timeout');
      else if (idleTimeoutMs > 0 && now - run.lastHeard >= idleTimeoutMs) run.stop('idle');
      else if (now - run.lastBeat >= beat) run.beat(now);
    }
    const remote = [...this.listening.values()].filter(({ run }) => !this.producers.has(run.ref.channel));
    if (idleTimeoutMs > 0 && now - this.lastLease >= beat) this.lease(now, remote);
    this.checkSilent(now, remote);
  }

  /** Names the runs listened to here and produced elsewhere in leases. */
  private lease(now: number, remote: readonly { run: WatchedRun }[]): void {
    if (remote.length === 0) return;
    this.lastLease = now;
    const channels = remote.map(({ run }) => run.ref.channel);
    for (let i = 0; i < channels.length; i += LEASE_RUNS) this.sendLease(channels.slice(i, i + LEASE_RUNS));
  }

  private sendLease(channels: readonly string[]): void {
    const payload = encodeRecord({ runs: channels });
    Promise.resolve()
      .then(() => this.broker.send({ type: 'connection', connectionId: LEASES_TARGET, payload }))
      .then(
        () => (this.leaseFailing = false),
        (error: unknown) => {
          if (!this.leaseFailing) this.logger.warn(SSE_RUNS_MESSAGES.leaseFailed(error));
          this.leaseFailing = true;
        },
      );
  }

  /** Looks into the runs listened to here whose state nobody recorded for `lostAfterMs` (while the broker is up). */
  private checkSilent(now: number, remote: readonly { run: WatchedRun }[]): void {
    const after = lostAfterMs(this.options);
    const up = (this.broker.status?.().state ?? 'up') === 'up';
    for (const { run } of remote) {
      const silent = now - run.heardAt;
      if (!up) run.heard();
      else if (silent >= after) this.lost.check(run, silent);
    }
  }
}
