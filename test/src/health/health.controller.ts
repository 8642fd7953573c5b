import { Controller, Get, Param } from '@nestjs/common';
import { HealthCheck, HealthCheckService } from '@nestjs/terminus';
import { EventStream, SseClient, SseHub } from 'nestjs-event-stream';
import { SseHealthIndicator } from 'nestjs-event-stream/terminus';

/** Readiness and liveness as an app wires them for its probes, and a stream to count. */
@Controller()
export class HealthController {
  constructor(
    private readonly health: HealthCheckService,
    private readonly sse: SseHealthIndicator,
    private readonly hub: SseHub,
  ) {}

  @Get('health/ready')
  @HealthCheck()
  ready() {
    return this.health.check([() => this.sse.isReady()]);
  }

  @Get('health/live')
  @HealthCheck()
  live() {
    return this.health.check([() => this.sse.isLive()]);
  }

  /** A custom key, for apps with several hubs or indicators. */
  @Get('health/streams')
  @HealthCheck()
  streams() {
    return this.health.check([() => this.sse.isReady('streams')]);
  }

  /** Readiness for a public route: the broker's state without its detail (which names the host). */
  @Get('health/public')
  @HealthCheck()
  public() {
    return this.health.check([() => this.sse.isReady('sse', { detail: false })]);
  }

  @EventStream('events/:channel')
  events(@Param('channel') channel: string, @SseClient() client: SseClient) {
    return this.hub.join(client, channel);
  }
}
