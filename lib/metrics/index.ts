export {
  SSE_METRICS,
  SSE_METRIC_LABELS,
  SSE_PUBLISH_DURATION_BUCKETS,
  SSE_STREAM_DURATION_BUCKETS,
  readSamples,
  sseMetric,
  type SseMetricDefinition,
  type SseMetricLabel,
  type SseMetricLabelKey,
  type SseMetricSample,
  type SseMetricType,
} from './sse-metrics.js';
