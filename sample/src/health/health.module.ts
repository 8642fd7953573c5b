import { Module } from '@nestjs/common';
import { SseTerminusModule } from 'nestjs-event-stream/terminus';
import { JobsModule } from '../jobs/jobs.module.js';
import { HealthController } from './health.controller.js';

/** `/health`, `/health/ready` and `/health/live`: `SseTerminusModule` brings the indicator and terminus's `HealthCheckService`. */
@Module({ imports: [JobsModule, SseTerminusModule], controllers: [HealthController] })
export class HealthModule {}
