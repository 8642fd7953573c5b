/**
 * `nestjs-event-stream/opentelemetry`: the event streams' metrics through
 * `@opentelemetry/api` (an optional peer, imported only by this entry point).
 */
export { SseOpenTelemetryModule } from './sse-opentelemetry.module.js';
export { SseOpenTelemetryExporter } from './sse-opentelemetry.exporter.js';
export { SSE_METER_NAME, SSE_METER_VERSION } from './sse-opentelemetry.constants.js';
export type { SseOpenTelemetryOptions } from './sse-opentelemetry-options.interface.js';
export {
  SSE_METRICS,
  SSE_METRIC_LABELS,
  type SseMetricDefinition,
  type SseMetricLabel,
  type SseMetricSample,
} from '../metrics/index.js';
