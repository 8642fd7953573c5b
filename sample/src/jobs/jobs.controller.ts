import { Controller, HttpCode, HttpStatus, Param, Post, Res, UseGuards } from '@nestjs/common';
import { HttpAdapterHost } from '@nestjs/core';
import { EventStream, sseEvent } from 'nestjs-event-stream';
import { ApiBearerAuth, ApiQuery } from '@nestjs/swagger';
import { ApiEventStream } from 'nestjs-event-stream/openapi';
import { endWith, map } from 'rxjs';
import { BearerAuthGuard } from '../auth/bearer-auth.guard.js';
import { CurrentUser, type SampleUser } from '../auth/sample-user.js';
import { StreamAuthGuard } from '../auth/stream-auth.guard.js';
import { PostRateLimitGuard } from '../rate-limit/post-rate-limit.guard.js';
import { JobsService } from './jobs.service.js';
import { TooManyJobsException } from './too-many-jobs.exception.js';
import { JobDoneDto } from './job-done.dto.js';
import { JobProgressDto } from './job-progress.dto.js';

@Controller('jobs')
export class JobsController {
  constructor(
    private readonly jobs: JobsService,
    private readonly adapterHost: HttpAdapterHost,
  ) {}

  /**
   * POST /jobs: starts a job; 202 with its id. 429 with `Retry-After` when
   * the user already runs `JOBS_PER_USER` jobs (or 100 run in all), and when
   * the user posts faster than `POST_LIMIT` per `POST_WINDOW_MS`.
   */
  @UseGuards(BearerAuthGuard, PostRateLimitGuard)
  @ApiBearerAuth()
  @Post()
  @HttpCode(HttpStatus.ACCEPTED)
  start(@CurrentUser() user: SampleUser, @Res({ passthrough: true }) response: unknown): { id: string } {
    try {
      return { id: this.jobs.start(user.id) };
    } catch (error) {
      // Through the platform's adapter: an Express response and a Fastify reply set headers differently.
      if (error instanceof TooManyJobsException) {
        this.adapterHost.httpAdapter.setHeader(response, 'Retry-After', String(error.retryAfterSeconds));
      }
      throw error;
    }
  }

  /**
   * GET /jobs/:id/events: `progress` events (the current percent first), then
   * `done`, then the stream ends. The browser reconnects to a stream that
   * ended; for a finished or unknown job the handler returns `null`, which
   * answers 204 No Content: the official "stop" for an EventSource.
   */
  @UseGuards(StreamAuthGuard)
  @ApiBearerAuth()
  @ApiQuery({
    name: 'ticket',
    required: false,
    description: 'A single-use ticket of POST /tickets (what the page sends).',
  })
  @ApiQuery({ name: 'token', required: false, description: 'The token, for clients that can set no header or cookie.' })
  @ApiEventStream({
    events: { progress: JobProgressDto, done: { type: JobDoneDto, description: 'The job finished; the stream ends.' } },
    refusals: [204, 401, 429, 503],
    summary: "A job's progress",
  })
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
