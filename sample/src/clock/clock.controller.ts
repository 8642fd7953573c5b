import { Controller, Inject, UseGuards } from '@nestjs/common';
import { EventStream, SseAuthGuard, sseEvent } from 'nestjs-event-stream';
import { map, timer } from 'rxjs';
import { SAMPLE_CONFIG } from '../config/sample-config.module.js';
import type { SampleConfig } from '../config/sample-config.js';

@Controller('clock')
export class ClockController {
  constructor(@Inject(SAMPLE_CONFIG) private readonly config: SampleConfig) {}

  /**
   * GET /clock/:token: the token travels in the path (`auth.from` tries
   * `'param:token'` first), for clients that can send neither a header nor a
   * cookie. A bad token answers 401 before any stream byte. Each connection
   * gets its own timer, which ends with the stream.
   */
  @UseGuards(SseAuthGuard)
  @EventStream(':token')
  clock() {
    return timer(0, this.config.clockMs).pipe(
      map(() => sseEvent({ event: 'time', data: { time: new Date().toISOString() } })),
    );
  }
}
