/**
 * `nestjs-event-stream/prometheus`: the event streams' metrics through
 * prom-client (an optional peer, imported only by this entry point).
 */
export { SsePrometheusModule } from './sse-prometheus.module.js';
export { SsePrometheusExporter } from './sse-prometheus.exporter.js';
export type { SsePrometheusOptions } from './sse-prometheus-options.interface.js';
export {
  SSE_METRICS,
  SSE_METRIC_LABELS,
  type SseMetricDefinition,
  type SseMetricLabel,
  type SseMetricSample,
} from '../metrics/index.js';
