import type { SseHubStats } from '../hub/sse-hub.interface.js';

/** What a metric is: a counter (only goes up), a gauge (a value now) or a histogram (a distribution). */
export type SseMetricType = 'counter' | 'gauge' | 'histogram';

/** A label of a metric: its Prometheus name and its OpenTelemetry attribute name. */
export interface SseMetricLabel {
  readonly prometheus: string;
  readonly otel: string;
  /** What its values are. */
  readonly values: string;
}

/** The labels the metrics use, all bounded: never a channel name, a user, an address or a URL. */
export const SSE_METRIC_LABELS = {
  route: {
    prometheus: 'route',
    otel: 'http.route',
    values: 'the route pattern, e.g. `/rooms/:room/events` (code, not input); `unknown` if the platform did not say',
  },
  reason: {
    prometheus: 'reason',
    otel: 'sse.close.reason',
    values: 'an `SseCloseReason`: `client-closed`, `completed`, ...',
  },
  status: { prometheus: 'status', otel: 'http.response.status_code', values: '`401`, `403`, `429`, `503`' },
  state: { prometheus: 'state', otel: 'sse.broker.state', values: '`up`, `down`, `resyncing`' },
  outcome: { prometheus: 'outcome', otel: 'sse.publish.outcome', values: '`ok`, `error`' },
} as const satisfies Record<string, SseMetricLabel>;

export type SseMetricLabelKey = keyof typeof SSE_METRIC_LABELS;

/** One value of a metric read from `SseHub.stats()`, with its labels (by label key). */
export interface SseMetricSample {
  readonly labels: Readonly<Partial<Record<SseMetricLabelKey, string>>>;
  readonly value: number;
}

/** The one definition of a metric, which both exporters and docs/metrics.md follow. */
export interface SseMetricDefinition {
  /** The Prometheus name (before any `prefix`). */
  readonly name: string;
  /** The OpenTelemetry instrument name. */
  readonly otelName: string;
  readonly type: SseMetricType;
  /** UCUM, for OpenTelemetry (`s`, `By`, `{stream}`...); Prometheus names carry their unit as a suffix. */
  readonly unit: string;
  readonly labels: readonly SseMetricLabelKey[];
  readonly help: string;
  /** A gauge whose values add up across instances and labels (an OpenTelemetry up-down counter). */
  readonly additive?: boolean;
  /**
   * How the values of several hubs in one process combine: added up (the
   * default), or the lowest (`sse_broker_up`). Also prom-client's
   * `aggregator`, so that `AggregatorRegistry` (cluster mode) combines the
   * workers' values the same way.
   */
  readonly combine?: 'sum' | 'min';
  /** A histogram's bucket boundaries, in its unit. */
  readonly buckets?: readonly number[];
  /** How a counter's or a gauge's samples are read from `stats()`, when scraped. Histograms are pushed instead. */
  readonly read?: (stats: SseHubStats) => readonly SseMetricSample[];
}

const one = (value: number): readonly SseMetricSample[] => [{ labels: {}, value }];

const BROKER_STATES = ['up', 'down', 'resyncing'] as const;

/** Streams live from seconds to days: buckets from 1 s to 1 day. */
export const SSE_STREAM_DURATION_BUCKETS: readonly number[] = [
  1, 5, 15, 30, 60, 120, 300, 600, 1800, 3600, 7200, 14400, 43200, 86400,
];

/** A publish is a broker round trip: buckets from 0.5 ms to 5 s. */
export const SSE_PUBLISH_DURATION_BUCKETS: readonly number[] = [
  0.0005, 0.001, 0.0025, 0.005, 0.01, 0.025, 0.05, 0.1, 0.25, 0.5, 1, 2.5, 5,
];

/** Every metric of the library, in the order of docs/metrics.md. */
export const SSE_METRICS: readonly SseMetricDefinition[] = [
  {
    name: 'sse_streams_open',
    otelName: 'sse.streams.open',
    type: 'gauge',
    additive: true,
    unit: '{stream}',
    labels: ['route'],
    help: 'Event streams open now, by route.',
    read: (stats) => Object.entries(stats.openByRoute).map(([route, value]) => ({ labels: { route }, value })),
  },
  {
    name: 'sse_streams_opened_total',
    otelName: 'sse.streams.opened',
    type: 'counter',
    unit: '{stream}',
    labels: [],
    help: 'Event streams that opened (sent their headers).',
    read: (stats) => one(stats.opened),
  },
  {
    name: 'sse_streams_closed_total',
    otelName: 'sse.streams.closed',
    type: 'counter',
    unit: '{stream}',
    labels: ['reason'],
    help: 'Open event streams that closed, by reason.',
    read: (stats) => Object.entries(stats.closed).map(([reason, value]) => ({ labels: { reason }, value })),
  },
  {
    name: 'sse_stream_duration_seconds',
    otelName: 'sse.stream.duration',
    type: 'histogram',
    unit: 's',
    labels: ['route', 'reason'],
    help: 'How long event streams stayed open, from their headers to their close, by route and close reason.',
    buckets: SSE_STREAM_DURATION_BUCKETS,
  },
  {
    name: 'sse_refusals_total',
    otelName: 'sse.refusals',
    type: 'counter',
    unit: '{request}',
    labels: ['status'],
    help: 'Event stream requests the library refused before any stream byte, by status (401, 403, 429, 503).',
    read: (stats) => Object.entries(stats.refused).map(([status, value]) => ({ labels: { status }, value })),
  },
  {
    name: 'sse_events_published_total',
    otelName: 'sse.events.published',
    type: 'counter',
    unit: '{event}',
    labels: [],
    help: 'Events published to channels through this instance (SseHub.publish).',
    read: (stats) => one(stats.eventsPublished),
  },
  {
    name: 'sse_events_delivered_total',
    otelName: 'sse.events.delivered',
    type: 'counter',
    unit: '{event}',
    labels: [],
    help: 'Hub events handed to a stream (one per stream per event): the fan-out.',
    read: (stats) => one(stats.delivered),
  },
  {
    name: 'sse_events_dropped_total',
    otelName: 'sse.events.dropped',
    type: 'counter',
    unit: '{event}',
    labels: [],
    help: 'Hub events a stream refused: it had closed, or was cut off for being too slow.',
    read: (stats) => one(stats.dropped),
  },
  {
    name: 'sse_bytes_written_total',
    otelName: 'sse.bytes.written',
    type: 'counter',
    unit: 'By',
    labels: [],
    help: 'Bytes handed to event stream responses (frames, retry hints, heartbeats, final words; not headers).',
    read: (stats) => one(stats.bytesWritten),
  },
  {
    name: 'sse_frame_errors_total',
    otelName: 'sse.frame_errors',
    type: 'counter',
    unit: '{event}',
    labels: [],
    help: 'Values a stream could not frame (SseFrameError): skipped, or ending the stream.',
    read: (stats) => one(stats.frameErrors),
  },
  {
    name: 'sse_slow_client_disconnects_total',
    otelName: 'sse.slow_client.disconnects',
    type: 'counter',
    unit: '{stream}',
    labels: [],
    help: 'Streams cut off because their client did not read (more than maxBufferedBytes waiting).',
    read: (stats) => one(stats.slowClientDisconnects),
  },
  {
    name: 'sse_replays_total',
    otelName: 'sse.replays',
    type: 'counter',
    unit: '{stream}',
    labels: [],
    help: 'Streams that resumed from a Last-Event-ID.',
    read: (stats) => one(stats.replays),
  },
  {
    name: 'sse_replayed_events_total',
    otelName: 'sse.replayed_events',
    type: 'counter',
    unit: '{event}',
    labels: [],
    help: 'Events replayed from history to resuming streams.',
    read: (stats) => one(stats.replayedEvents),
  },
  {
    name: 'sse_resets_total',
    otelName: 'sse.resets',
    type: 'counter',
    unit: '{event}',
    labels: [],
    help: 'sse-reset events sent: a Last-Event-ID could not be resumed without a gap.',
    read: (stats) => one(stats.resets),
  },
  {
    name: 'sse_channels',
    otelName: 'sse.channels',
    type: 'gauge',
    additive: true,
    unit: '{channel}',
    labels: [],
    help: 'Channels with at least one stream of this instance.',
    read: (stats) => one(stats.channels),
  },
  {
    name: 'sse_broker_up',
    otelName: 'sse.broker.up',
    type: 'gauge',
    combine: 'min',
    unit: '1',
    labels: [],
    help: '1 when the broker serves joins and publishes (its link is up, or resyncing: joins wait for the resubscription), 0 when it is down.',
    read: (stats) => one(stats.brokerStatus.state === 'down' ? 0 : 1),
  },
  {
    name: 'sse_broker_state',
    otelName: 'sse.broker.state',
    type: 'gauge',
    unit: '1',
    labels: ['state'],
    help: "The broker's link state: 1 for the current one, 0 for the others (with several hubs in a process: how many are in each).",
    read: (stats) =>
      BROKER_STATES.map((state) => ({ labels: { state }, value: stats.brokerStatus.state === state ? 1 : 0 })),
  },
  {
    name: 'sse_broker_publish_duration_seconds',
    otelName: 'sse.broker.publish.duration',
    type: 'histogram',
    unit: 's',
    labels: ['outcome'],
    help: 'How long the broker took to store a published event, by outcome.',
    buckets: SSE_PUBLISH_DURATION_BUCKETS,
  },
];

/**
 * The samples of `metric` over several hubs' stats: by label set, added up
 * (or the lowest, for `combine: 'min'`). One hub's, as they are.
 */
export function readSamples(metric: SseMetricDefinition, stats: readonly SseHubStats[]): SseMetricSample[] {
  if (!metric.read) return [];
  if (stats.length === 1) return [...metric.read(stats[0])];
  const byLabels = new Map<string, { labels: SseMetricSample['labels']; value: number }>();
  for (const each of stats) {
    for (const sample of metric.read(each)) {
      const key = JSON.stringify(sample.labels);
      const seen = byLabels.get(key);
      if (!seen) byLabels.set(key, { labels: sample.labels, value: sample.value });
      else seen.value = metric.combine === 'min' ? Math.min(seen.value, sample.value) : seen.value + sample.value;
    }
  }
  return [...byLabels.values()];
}

/** The definition of the metric named `name` (its Prometheus name). */
export function sseMetric(name: string): SseMetricDefinition {
  const found = SSE_METRICS.find((metric) => metric.name === name);
  if (!found) throw new Error(`No SSE metric is named ${name}`);
  return found;
}
