import { Inject, Injectable, type OnModuleDestroy, type OnModuleInit } from '@nestjs/common';
import {
  metrics,
  type Attributes,
  type BatchObservableCallback,
  type Histogram,
  type Meter,
  type Observable,
} from '@opentelemetry/api';
import { SseHub } from '../hub/sse-hub.js';
import { SSE_METRIC_LABELS, SSE_METRICS, sseMetric, type SseMetricDefinition } from '../metrics/sse-metrics.js';
import { METRICS_MESSAGES } from '../metrics/metrics.messages.js';
import { SSE_METER_NAME, SSE_METER_VERSION, SSE_OPENTELEMETRY_OPTIONS } from './sse-opentelemetry.constants.js';
import type { SseOpenTelemetryOptions } from './sse-opentelemetry-options.interface.js';

/** OpenTelemetry attributes of a sample's labels (the status as the integer `http.response.status_code` is). */
function attributesOf(labels: Readonly<Partial<Record<keyof typeof SSE_METRIC_LABELS, string>>>): Attributes {
  const attributes: Attributes = {};
  for (const [key, value] of Object.entries(labels)) {
    attributes[SSE_METRIC_LABELS[key as keyof typeof SSE_METRIC_LABELS].otel] =
      key === 'status' ? Number(value) : value;
  }
  return attributes;
}

/**
 * Creates the instruments of docs/metrics.md on a meter while the module
 * lives: observable counters and gauges whose one batch callback reads
 * `SseHub.stats()` when the SDK collects (nothing runs in between), and two
 * histograms recorded from `SseHub.instrument()`. Removes its callback and
 * its observer when the module is destroyed. Uses `@opentelemetry/api` only.
 */
@Injectable()
export class SseOpenTelemetryExporter implements OnModuleInit, OnModuleDestroy {
  private readonly meter: Meter;
  private observed: { callback: BatchObservableCallback; observables: Observable[] } | undefined;
  private stopInstrument: (() => void) | undefined;

  constructor(
    private readonly hub: SseHub,
    @Inject(SSE_OPENTELEMETRY_OPTIONS) options: SseOpenTelemetryOptions,
  ) {
    const provider = options.meterProvider ?? metrics;
    this.meter = options.meter ?? provider.getMeter(SSE_METER_NAME, SSE_METER_VERSION);
    if (typeof this.meter?.createHistogram !== 'function') throw new Error(METRICS_MESSAGES.openTelemetryBadMeter());
  }

  onModuleInit(): void {
    if (this.observed) return;
    const pulled = SSE_METRICS.filter((definition) => definition.read !== undefined);
    const observables = pulled.map((definition) => this.observable(definition));
    const callback: BatchObservableCallback = (result) => {
      const stats = this.hub.stats();
      pulled.forEach((definition, i) => {
        for (const sample of definition.read!(stats))
          result.observe(observables[i], sample.value, attributesOf(sample.labels));
      });
    };
    this.meter.addBatchObservableCallback(callback, observables);
    this.observed = { callback, observables };
    const streamDuration = this.histogram(sseMetric('sse_stream_duration_seconds'));
    const publishDuration = this.histogram(sseMetric('sse_broker_publish_duration_seconds'));
    this.stopInstrument = this.hub.instrument({
      streamClosed: ({ route, reason, durationMs }) =>
        streamDuration.record(durationMs / 1000, attributesOf({ route, reason })),
      published: ({ durationMs, ok }) =>
        publishDuration.record(durationMs / 1000, attributesOf({ outcome: ok ? 'ok' : 'error' })),
    });
  }

  onModuleDestroy(): void {
    if (this.observed) this.meter.removeBatchObservableCallback(this.observed.callback, this.observed.observables);
    this.observed = undefined;
    this.stopInstrument?.();
    this.stopInstrument = undefined;
  }

  private observable(definition: SseMetricDefinition): Observable {
    const options = { description: definition.help, unit: definition.unit };
    if (definition.type === 'counter') return this.meter.createObservableCounter(definition.otelName, options);
    if (definition.additive) return this.meter.createObservableUpDownCounter(definition.otelName, options);
    return this.meter.createObservableGauge(definition.otelName, options);
  }

  private histogram(definition: SseMetricDefinition): Histogram {
    return this.meter.createHistogram(definition.otelName, {
      description: definition.help,
      unit: definition.unit,
      advice: { explicitBucketBoundaries: [...(definition.buckets ?? [])] },
    });
  }
}
