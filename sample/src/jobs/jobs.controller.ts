import { Controller, HttpCode, HttpStatus, Param, Post, UseGuards } from '@nestjs/common';
import { EventStream, SseAuthGuard, sseEvent } from 'nestjs-event-stream';
import { endWith, map } from 'rxjs';
import { BearerAuthGuard } from '../auth/bearer-auth.guard.js';
import { CurrentUser, type SampleUser } from '../auth/sample-user.js';
import { JobsService } from './jobs.service.js';

@Controller('jobs')
export class JobsController {
  constructor(private readonly jobs: JobsService) {}

  /** POST /jobs: starts a job; 202 with its id. */
  @UseGuards(BearerAuthGuard)
  @Post()
  @HttpCode(HttpStatus.ACCEPTED)
  start(@CurrentUser() user: SampleUser): { id: string } {
    return { id: this.jobs.start(user.id) };
  }

  /**
   * GET /jobs/:id/events: `progress` events (the current percent first), then
   * `done`, then the stream ends. The browser reconnects to a stream that
   * ended; for a finished or unknown job the handler returns `null`, which
   * answers 204 No Content: the official "stop" for an EventSource.
   */
  @UseGuards(SseAuthGuard)
  @EventStream(':id/events')
  events(@Param('id') id: string, @CurrentUser() user: SampleUser) {
    const progress = this.jobs.progress(id, user.id);
    if (!progress) return null;
    return progress.pipe(
      map((percent) => sseEvent({ event: 'progress', data: { percent } })),
      endWith(sseEvent({ event: 'done', data: { id } })),
    );
  }
}
