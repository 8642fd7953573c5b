import { Module } from '@nestjs/common';
import { SsePrometheusModule } from 'nestjs-event-stream/prometheus';

/**
 * `GET /metrics`: the event streams' metrics in the Prometheus text format
 * (docs/metrics.md): streams open by route, opened and closed by reason,
 * refusals by status, fan-out, bytes, slow clients, replays, the broker's link
 * (the broker of `SSE_BROKER_URL` when it is set) and the histograms of stream lifetimes
 * and publish latency. Into prom-client's global registry: add
 * `collectDefaultMetrics()` in main.ts for Node's own.
 *
 * ```console
 * $ curl -s localhost:3000/metrics | grep -E '^sse_(streams_open|refusals_total)'
 * ```
 */
@Module({
  imports: [SsePrometheusModule.register()],
})
export class MetricsModule {}
