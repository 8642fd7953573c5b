import type { Logger } from '@nestjs/common';
import { isObservable, Subscription, type Observable } from 'rxjs';
import type { SseScheduleLock } from './sse-schedule-lock.interface.js';
import { SSE_MESSAGES } from '../sse.messages.js';
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
 * publishes what it returns. A failure is logged with the job's name and
 * never escapes: the next tick runs as usual.
 */
export class ScheduledBroadcast {
  private running = false;
  private closed = false;
  private cancelRun?: () => void;

  constructor(
    private readonly config: ScheduledBroadcastConfig,
    private readonly target: BroadcastTarget,
    private readonly lock: SseScheduleLock,
    private readonly logger: Logger,
  ) {}

  /** Runs one tick; resolves when it has ended (published, skipped or failed). Never rejects. */
  async tick(produce: () => unknown): Promise<void> {
    const { name, channel, skipWhenIdle } = this.config;
    if (this.closed) return;
    if (this.running) {
      this.logger.warn(SSE_MESSAGES.scheduledTickSkipped(name));
      return;
    }
    if (skipWhenIdle && this.target.count(channel) === 0) return;
    this.running = true;
    try {
      if (!(await this.acquire()) || this.closed) return;
      await this.publishAll(produce());
    } catch (error) {
      if (!this.closed) {
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

  private async acquire(): Promise<boolean> {
    const now = Date.now();
    const { timing, name } = this.config;
    try {
      return (await this.lock.acquire(name, timing.keyOf(now), timing.ttlMs(now))) === true;
    } catch (error) {
      this.logger.error(SSE_MESSAGES.scheduleLockFailed(name, error));
      return false;
    }
  }

  private async publishAll(result: unknown): Promise<void> {
    const value = isObservable(result) ? result : await result;
    if (isObservable(value)) return this.publishEach(value);
    await this.publishOne(value);
  }

  private async publishOne(value: unknown): Promise<void> {
    if (value === undefined || value === null || this.closed) return;
    await this.target.publish(this.config.channel, value);
  }

  /** Publishes the values in order, each after the previous one is published; ends when the source completes. */
  private publishEach(source: Observable<unknown>): Promise<void> {
    return new Promise<void>((resolve, reject) => {
      let published: Promise<void> = Promise.resolve();
      const subscription = new Subscription();
      let ended = false;
      const end = (error?: unknown) => {
        if (ended) return;
        ended = true;
        subscription.unsubscribe();
        if (error === undefined) resolve();
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
              .then(() => (ended ? undefined : this.publishOne(value)))
              .catch((error: unknown) => end(error));
          },
          error: (error: unknown) => after(() => end(error ?? new Error('the Observable errored'))),
          complete: () => after(() => end()),
        }),
      );
    });
  }
}
