import { Controller, Get, Inject } from '@nestjs/common';
import { HealthCheck, HealthCheckService, HealthIndicatorService } from '@nestjs/terminus';
import { SseHub } from 'nestjs-event-stream';
import { SseHealthIndicator } from 'nestjs-event-stream/terminus';
import { SAMPLE_CONFIG } from '../config/sample-config.module.js';
import type { SampleConfig } from '../config/sample-config.js';
import { JobsService } from '../jobs/jobs.service.js';

/** These routes are public: the broker's state without its detail (which names the host of Redis and its last error). */
const PUBLIC = { detail: false } as const;

/**
 * Health checks on `@nestjs/terminus` (docs/health.md):
 * - `GET /health/ready`: 503 while the hub's broker is down (Redis away) or
 *   the app shuts down: what a load balancer or a readiness probe asks;
 * - `GET /health/live`: 200 while the process answers, whatever Redis does:
 *   what a liveness probe asks (no restarts on a Redis blip);
 * - `GET /health`: readiness, plus the hub's numbers for this instance
 *   (streams, channels, events published, ...) and the running jobs, under `hub`.
 */
@Controller('health')
export class HealthController {
  constructor(
    private readonly health: HealthCheckService,
    private readonly sse: SseHealthIndicator,
    private readonly indicators: HealthIndicatorService,
    private readonly hub: SseHub,
    private readonly jobs: JobsService,
    @Inject(SAMPLE_CONFIG) private readonly config: SampleConfig,
  ) {}

  @Get()
  @HealthCheck()
  check() {
    return this.health.check([() => this.sse.isReady('sse', PUBLIC), () => this.numbers()]);
  }

  @Get('ready')
  @HealthCheck()
  ready() {
    return this.health.check([() => this.sse.isReady('sse', PUBLIC)]);
  }

  @Get('live')
  @HealthCheck()
  live() {
    return this.health.check([() => this.sse.isLive()]);
  }

  /** The hub's counters (without the broker's state, which `sse` reports) and the jobs, as an indicator that is always up. */
  private numbers() {
    const { brokerStatus: _state, openByRoute: _routes, ...stats } = this.hub.stats();
    return this.indicators.check('hub').up({
      // Where the hub's events travel: this process only, or a broker (redis, postgres, nats).
      broker: this.config.broker,
      ...stats,
      jobs: this.jobs.running,
    });
  }
}
