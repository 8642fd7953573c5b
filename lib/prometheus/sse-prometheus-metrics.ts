import { Counter, Gauge, Histogram, type Registry } from 'prom-client';
import type { SseHub } from '../hub/sse-hub.js';
import type { SseInstrumentation } from '../stream/sse-instrumentation.js';
import {
  SSE_METRIC_LABELS,
  SSE_METRICS,
  type SseMetricDefinition,
  type SseMetricSample,
} from '../metrics/sse-metrics.js';
import { SseHubTotals } from '../metrics/sse-hub-totals.js';
import { METRICS_MESSAGES } from '../metrics/metrics.messages.js';

type Metric = Counter | Gauge | Histogram;

/** The set of our metrics in each registry, by prefix: one per registry and prefix, whatever the number of apps. */
const inRegistries = new WeakMap<Registry, Map<string, SsePrometheusMetrics>>();

function labelNames(definition: SseMetricDefinition): string[] {
  return definition.labels.map((key) => SSE_METRIC_LABELS[key].prometheus);
}

function labelsOf(sample: SseMetricSample): Record<string, string> {
  const labels: Record<string, string> = {};
  for (const [key, value] of Object.entries(sample.labels)) {
    labels[SSE_METRIC_LABELS[key as keyof typeof SSE_METRIC_LABELS].prometheus] = value;
  }
  return labels;
}

/**
 * Our metrics in one registry, under one prefix. Counters and gauges read
 * `SseHub.stats()` of every hub attached when the registry is scraped
 * (nothing runs between scrapes); the two histograms are fed by each hub's
 * `instrument()`. The first hub registers the metrics, the last one to leave
 * removes them: two apps of one process share them (their values add up;
 * `sse_broker_up` is the lowest), and a counter keeps what a hub that left
 * had counted (it never goes down while the metrics stay registered). A
 * metric of the same name that is not ours is an error at startup, naming
 * the `prefix` option.
 */
export class SsePrometheusMetrics {
  private readonly totals = new SseHubTotals();
  private readonly metrics: Metric[] = [];
  private readonly observer: SseInstrumentation;

  private constructor(
    private readonly registry: Registry,
    private readonly prefix: string,
  ) {
    for (const definition of SSE_METRICS) {
      if (registry.getSingleMetric(prefix + definition.name)) {
        throw new Error(METRICS_MESSAGES.prometheusNameTaken(prefix + definition.name));
      }
    }
    for (const definition of SSE_METRICS) this.metrics.push(this.create(definition));
    for (const metric of this.metrics) registry.registerMetric(metric);
    const streamDuration = this.histogram('sse_stream_duration_seconds');
    const publishDuration = this.histogram('sse_broker_publish_duration_seconds');
    this.observer = {
      streamClosed: ({ route, reason, durationMs }) => streamDuration.observe({ route, reason }, durationMs / 1000),
      published: ({ durationMs, ok }) => publishDuration.observe({ outcome: ok ? 'ok' : 'error' }, durationMs / 1000),
    };
  }

  /** Exports `hub`'s metrics into `registry`; returns the function that stops it (the last one removes the metrics). */
  static attach(registry: Registry, prefix: string, hub: SseHub): () => void {
    let byPrefix = inRegistries.get(registry);
    if (!byPrefix) inRegistries.set(registry, (byPrefix = new Map()));
    let metrics = byPrefix.get(prefix);
    if (!metrics) byPrefix.set(prefix, (metrics = new SsePrometheusMetrics(registry, prefix)));
    metrics.totals.add(hub, metrics.observer);
    return () => metrics.remove(hub);
  }

  private remove(hub: SseHub): void {
    this.totals.remove(hub);
    if (this.totals.size > 0) return;
    for (const metric of this.metrics) {
      const name = (metric as unknown as { name: string }).name;
      if (this.registry.getSingleMetric(name) === metric) this.registry.removeSingleMetric(name);
    }
    if (inRegistries.get(this.registry)?.get(this.prefix) === this)
      inRegistries.get(this.registry)?.delete(this.prefix);
  }

  private histogram(name: string): Histogram {
    return this.metrics.find(
      (metric) => (metric as unknown as { name: string }).name === this.prefix + name,
    ) as Histogram;
  }

  private create(definition: SseMetricDefinition): Metric {
    const config = {
      name: this.prefix + definition.name,
      help: definition.help,
      labelNames: labelNames(definition),
      registers: [],
      // AggregatorRegistry (cluster mode) combines the workers' values as one process combines its hubs'.
      aggregator: definition.combine ?? 'sum',
    };
    if (definition.type === 'histogram') return new Histogram({ ...config, buckets: [...(definition.buckets ?? [])] });
    const totals = this.totals;
    if (definition.type === 'counter') {
      return new Counter({
        ...config,
        collect(this: Counter) {
          this.reset();
          for (const sample of totals.read()(definition)) this.inc(labelsOf(sample), sample.value);
        },
      });
    }
    return new Gauge({
      ...config,
      collect(this: Gauge) {
        this.reset();
        for (const sample of totals.read()(definition)) this.set(labelsOf(sample), sample.value);
      },
    });
  }
}
