import { Controller, Inject, UseGuards } from '@nestjs/common';
import { EventStream, sseEvent } from 'nestjs-event-stream';
import { ApiBearerAuth, ApiParam, ApiQuery } from '@nestjs/swagger';
import { ApiEventStream } from 'nestjs-event-stream/openapi';
import { map, timer } from 'rxjs';
import { StreamAuthGuard } from '../auth/stream-auth.guard.js';
import { SAMPLE_CONFIG } from '../config/sample-config.module.js';
import type { SampleConfig } from '../config/sample-config.js';
import { ClockTimeDto } from './clock-time.dto.js';

@Controller('clock')
@UseGuards(StreamAuthGuard)
export class ClockController {
  constructor(@Inject(SAMPLE_CONFIG) private readonly config: SampleConfig) {}

  /**
   * GET /clock?ticket=...: what the page opens, with a single-use ticket of
   * `POST /tickets` (or any token source of `auth.from`, e.g. a Bearer
   * header). A used, unknown or expired ticket answers 401 before any
   * stream byte. Each connection gets its own timer, which ends with the stream.
   */
  @ApiBearerAuth()
  @ApiQuery({
    name: 'ticket',
    required: false,
    description: 'A single-use ticket of POST /tickets (what the page sends).',
  })
  @ApiQuery({ name: 'token', required: false, description: 'The token, for clients that can set no header or cookie.' })
  @ApiEventStream({ events: { time: ClockTimeDto }, refusals: [401, 429, 503], summary: 'The time, with a ticket' })
  @EventStream()
  clock() {
    return this.ticks();
  }

  /**
   * GET /clock/:token: the token travels in the path (`auth.from` tries
   * `'param:token'` first), for clients that can send neither a header, a
   * cookie nor a ticket (`curl` in the README). A token in a URL lands in
   * access logs: the page uses tickets instead.
   */
  @ApiParam({ name: 'token', description: 'The token (it lands in access logs: the page uses tickets instead).' })
  @ApiEventStream({
    events: { time: ClockTimeDto },
    refusals: [401, 429, 503],
    summary: 'The time, with a token in the path',
  })
  @EventStream(':token')
  clockByPathToken() {
    return this.ticks();
  }

  private ticks() {
    return timer(0, this.config.clockMs).pipe(
      map(() => sseEvent({ event: 'time', data: { time: new Date().toISOString() } })),
    );
  }
}
