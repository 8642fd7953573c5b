import type { Logger } from '@nestjs/common';
import { isObservable, Subscription, type Observable } from 'rxjs';
import type { SseScheduleLock } from './sse-schedule-lock.interface.js';
import { SSE_MESSAGES } from '../sse.messages.js';
import { BrokerOutage } from './broker-outage.js';
import type { TickTiming } from './tick-timing.js';

/** What a scheduled broadcast needs of the hub. */
export interface BroadcastTarget {
  publish(channel: string, value: unknown): Promise<string>;
  count(channel: string): number;
}

/** What a scheduled broadcast is: its name, where it publishes and how its ticks are keyed for the lock. */
export interface ScheduledBroadcastConfig {
  /** The job's name: in logs, and the lock's key (the same on every instance). */
  name: string;
  /** The channel what the producer returns is published to. */
  channel: string;
  /** Skip the tick while no stream of this instance has joined `channel`. */
  skipWhenIdle: boolean;
  /** How the ticks are keyed for the schedule lock. */
  timing: TickTiming;
}

/**
 * One scheduled job's ticks, whoever fires them (`@nestjs/schedule` for a
 * decorated method, `SseScheduler` for `SseScheduler.schedule()`). A tick is skipped
 * after shutdown began, while the previous run is still going (runs never
 * stack), while the channel is idle (with `skipWhenIdle`), and when another
 * instance holds the tick's lock; otherwise it calls the producer and
 * publishes what it returns. An instance that did not run the previous tick
 * claims the next one a little later (`TickTiming.deferMs`), so the one that
 * did keeps the job. A failure is logged with the job's name and never
 * escapes: the next tick runs as usual. While the broker is unavailable the
 * failures are counted instead, and logged when it begins and ends (`BrokerOutage`).
 */
export class ScheduledBroadcast {
  private running = false;
  private closed = false;
  /** Whether this instance ran the previous tick (it then claims the next one without deferring). */
  private leading = false;
  private cancelRun?: () => void;
  private readonly outage: BrokerOutage;

  constructor(
    private readonly config: ScheduledBroadcastConfig,
    private readonly target: BroadcastTarget,
    private readonly lock: SseScheduleLock,
    private readonly logger: Logger,
  ) {
    this.outage = new BrokerOutage(config.name, config.channel, logger);
  }

  /** Runs one tick; resolves when it has ended (published, skipped or failed). Never rejects. */
  async tick(produce: () => unknown): Promise<void> {
    const { name, channel, skipWhenIdle, timing } = this.config;
    // The tick is the one that fired now, however long the claim waits.
    const firedAt = Date.now();
    if (this.closed) return;
    if (this.running) {
      this.logger.warn(SSE_MESSAGES.scheduledTickSkipped(name));
      return;
    }
    if (skipWhenIdle && this.target.count(channel) === 0) {
      this.leading = false;
      return;
    }
    this.running = true;
    try {
      if (!this.leading && timing.deferMs > 0) await this.defer(timing.deferMs);
      if (this.closed || !(await this.acquire(firedAt)) || this.closed) return;
      if ((await this.publishAll(produce())) > 0) this.outage.reached();
    } catch (error) {
      if (!this.closed && !this.outage.failedWith(error)) {
        this.logger.error(SSE_MESSAGES.scheduledBroadcastFailed(name, channel, error), (error as Error)?.stack);
      }
    } finally {
      this.running = false;
      this.cancelRun = undefined;
    }
  }

  /** No tick runs from now on; a run in progress publishes nothing more. */
  close(): void {
    this.closed = true;
    this.cancelRun?.();
  }

  /** Whether this instance claimed the tick that fired at `firedAt`; `false` (logged or counted) if the lock failed. */
  private async acquire(firedAt: number): Promise<boolean> {
    const { timing, name } = this.config;
    try {
      this.leading = (await this.lock.acquire(name, timing.keyOf(firedAt), timing.ttlMs(firedAt))) === true;
      // Lost: another instance holds the tick, so the lock's store answered.
      if (!this.leading) this.outage.reached();
      return this.leading;
    } catch (error) {
      this.leading = false;
      if (!this.outage.failedWith(error)) this.logger.error(SSE_MESSAGES.scheduleLockFailed(name, error));
      return false;
    }
  }

  /** Waits `ms` before claiming the tick (ended early by `close()`). */
  private defer(ms: number): Promise<void> {
    return new Promise((resolve) => {
      const done = () => {
        clearTimeout(timer);
        this.cancelRun = undefined;
        resolve();
      };
      const timer = setTimeout(done, ms);
      this.cancelRun = done;
    });
  }

  /** Publishes what the producer returned; resolves to how many events were published. */
  private async publishAll(result: unknown): Promise<number> {
    const value = isObservable(result) ? result : await result;
    if (isObservable(value)) return this.publishEach(value);
    return (await this.publishOne(value)) ? 1 : 0;
  }

  private async publishOne(value: unknown): Promise<boolean> {
    if (value === undefined || value === null || this.closed) return false;
    await this.target.publish(this.config.channel, value);
    return true;
  }

  /** Publishes the values in order, each after the previous one is published; ends when the source completes. */
  private publishEach(source: Observable<unknown>): Promise<number> {
    return new Promise<number>((resolve, reject) => {
      let published: Promise<void> = Promise.resolve();
      let count = 0;
      const subscription = new Subscription();
      let ended = false;
      const end = (error?: unknown) => {
        if (ended) return;
        ended = true;
        subscription.unsubscribe();
        if (error === undefined) resolve(count);
        else reject(error);
      };
      const after = (step: () => void) => {
        published = published.then(() => (ended ? undefined : step()));
      };
      this.cancelRun = () => end();
      subscription.add(
        source.subscribe({
          next: (value) => {
            published = published
              .then(async () => {
                if (!ended && (await this.publishOne(value))) count++;
              })
              .catch((error: unknown) => end(error));
          },
          error: (error: unknown) => after(() => end(error ?? new Error('the Observable errored'))),
          complete: () => after(() => end()),
        }),
      );
    });
  }
}
