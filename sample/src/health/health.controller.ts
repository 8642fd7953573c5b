import { Controller, Get, Inject } from '@nestjs/common';
import { SseHub, type SseHubStats } from 'nestjs-event-stream';
import { SAMPLE_CONFIG } from '../config/sample-config.module.js';
import type { SampleConfig } from '../config/sample-config.js';
import { JobsService } from '../jobs/jobs.service.js';

export interface HealthReport extends SseHubStats {
  status: 'ok';
  /** Where the hub's events travel: this process only, or Redis. */
  broker: 'memory' | 'redis';
  /** Simulated jobs running now. */
  jobs: number;
}

@Controller('health')
export class HealthController {
  constructor(
    private readonly hub: SseHub,
    private readonly jobs: JobsService,
    @Inject(SAMPLE_CONFIG) private readonly config: SampleConfig,
  ) {}

  /** GET /health: the hub's numbers for this instance (connections, channels, events published, ...). */
  @Get()
  health(): HealthReport {
    return {
      status: 'ok',
      broker: this.config.redisUrl ? 'redis' : 'memory',
      ...this.hub.stats(),
      jobs: this.jobs.running,
    };
  }
}
