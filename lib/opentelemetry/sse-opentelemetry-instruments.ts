import type { Attributes, Histogram, Meter, Observable } from '@opentelemetry/api';
import type { SseHub } from '../hub/sse-hub.js';
import { SSE_METRIC_LABELS, SSE_METRICS, sseMetric, type SseMetricDefinition } from '../metrics/sse-metrics.js';
import { SseHubTotals } from '../metrics/sse-hub-totals.js';

/** OpenTelemetry attributes of a sample's labels (the status as the integer `http.response.status_code` is). */
function attributesOf(labels: Readonly<Partial<Record<keyof typeof SSE_METRIC_LABELS, string>>>): Attributes {
  const attributes: Attributes = {};
  for (const [key, value] of Object.entries(labels)) {
    attributes[SSE_METRIC_LABELS[key as keyof typeof SSE_METRIC_LABELS].otel] =
      key === 'status' ? Number(value) : value;
  }
  return attributes;
}

/** The instruments of each meter: one set, and one batch callback, whatever the number of apps. */
const onMeters = new WeakMap<Meter, SseOpenTelemetryInstruments>();

/**
 * The instruments of docs/metrics.md on one meter, shared by every app of
 * the process that uses the meter: observable counters and gauges whose one
 * batch callback reads `SseHub.stats()` of every hub attached when the SDK
 * collects (values added up, `sse.broker.up` the lowest), and two histograms
 * each hub's `instrument()` records into. A counter keeps what a hub that
 * left had counted, so a collection after an app has closed still has it
 * (its streams' `shutdown` closes included); the callback stays on the meter
 * for that, reading no hub once none is attached.
 */
export class SseOpenTelemetryInstruments {
  private readonly totals = new SseHubTotals();
  private readonly streamDuration: Histogram;
  private readonly publishDuration: Histogram;

  private constructor(meter: Meter) {
    const pulled = SSE_METRICS.filter((definition) => definition.read !== undefined);
    const observables = pulled.map((definition) => observable(meter, definition));
    meter.addBatchObservableCallback((result) => {
      const read = this.totals.read();
      pulled.forEach((definition, i) => {
        for (const sample of read(definition))
          result.observe(observables[i], sample.value, attributesOf(sample.labels));
      });
    }, observables);
    this.streamDuration = histogram(meter, sseMetric('sse_stream_duration_seconds'));
    this.publishDuration = histogram(meter, sseMetric('sse_broker_publish_duration_seconds'));
  }

  /** Observes `hub` on `meter`; returns the function that stops it (its counters are kept). */
  static attach(meter: Meter, hub: SseHub): () => void {
    let instruments = onMeters.get(meter);
    if (!instruments) onMeters.set(meter, (instruments = new SseOpenTelemetryInstruments(meter)));
    const { totals, streamDuration, publishDuration } = instruments;
    totals.add(hub, {
      streamClosed: ({ route, reason, durationMs }) =>
        streamDuration.record(durationMs / 1000, attributesOf({ route, reason })),
      published: ({ durationMs, ok }) =>
        publishDuration.record(durationMs / 1000, attributesOf({ outcome: ok ? 'ok' : 'error' })),
    });
    return () => totals.remove(hub);
  }
}

function observable(meter: Meter, definition: SseMetricDefinition): Observable {
  const options = { description: definition.help, unit: definition.unit };
  if (definition.type === 'counter') return meter.createObservableCounter(definition.otelName, options);
  if (definition.additive) return meter.createObservableUpDownCounter(definition.otelName, options);
  return meter.createObservableGauge(definition.otelName, options);
}

function histogram(meter: Meter, definition: SseMetricDefinition): Histogram {
  return meter.createHistogram(definition.otelName, {
    description: definition.help,
    unit: definition.unit,
    advice: { explicitBucketBoundaries: [...(definition.buckets ?? [])] },
  });
}
