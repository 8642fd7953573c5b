import { Inject, Injectable, type OnModuleInit } from '@nestjs/common';
import { SseScheduler, sseEvent } from 'nestjs-event-stream';
import { SAMPLE_CONFIG } from '../config/sample-config.module.js';
import type { SampleConfig } from '../config/sample-config.js';

/** The channel every `/ticks` stream joins. */
export const TICKS_CHANNEL = 'ticks';

/**
 * Publishes a `tick` to the `ticks` channel every `TICK_MS`, through
 * `SseScheduler` (a job of `@nestjs/schedule`'s `SchedulerRegistry`, named
 * `ticks`). The period comes from the environment, so the job is scheduled in
 * code rather than with `@Interval()`, whose period is fixed when the class is
 * defined. While nobody listens the producer is not called (`skipWhenIdle`),
 * so `n` counts the ticks that were sent. With several instances on one broker
 * (`SSE_BROKER_URL`), each tick runs on one of them, the one that ran the
 * previous tick while it is up: `n` is that instance's count.
 */
@Injectable()
export class TickerService implements OnModuleInit {
  private n = 0;

  constructor(
    private readonly scheduler: SseScheduler,
    @Inject(SAMPLE_CONFIG) private readonly config: SampleConfig,
  ) {}

  onModuleInit(): void {
    this.scheduler.schedule('ticks', { every: this.config.tickMs }, () => this.tick(), { channel: TICKS_CHANNEL });
  }

  private tick() {
    return sseEvent({ event: 'tick', data: { n: this.n++, at: new Date().toISOString() } });
  }
}
