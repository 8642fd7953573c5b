import { readFileSync } from 'node:fs';
import { SSE_METRICS, SSE_METRIC_LABELS, readSamples, sseMetric } from '../../lib/metrics/index.js';
import { zeroHubStats } from '../utils/hub-stats.js';

const stats = zeroHubStats;

describe('the metric definitions', () => {
  it('name every metric once, in Prometheus style, with the unit as the suffix and _total on counters', () => {
    const names = SSE_METRICS.map((metric) => metric.name);
    expect(new Set(names).size).toBe(names.length);
    for (const metric of SSE_METRICS) {
      expect(metric.name).toMatch(/^sse_[a-z_]+$/);
      if (metric.type === 'counter') expect(metric.name).toMatch(/_total$/);
      else expect(metric.name).not.toMatch(/_total$/);
      if (metric.unit === 's') expect(metric.name).toMatch(/_seconds$/);
      if (metric.unit === 'By') expect(metric.name).toMatch(/_bytes_written_total$/);
      expect(metric.help.length).toBeGreaterThan(10);
    }
  });

  it('give every metric a dotted OpenTelemetry name and a UCUM unit', () => {
    const names = SSE_METRICS.map((metric) => metric.otelName);
    expect(new Set(names).size).toBe(names.length);
    for (const metric of SSE_METRICS) {
      expect(metric.otelName).toMatch(/^sse(\.[a-z_]+)+$/);
      expect(metric.otelName).not.toMatch(/total|seconds/);
      expect(metric.unit).toMatch(/^(s|By|1|\{[a-z]+\})$/);
    }
  });

  it('read counters and gauges from stats(), and leave histograms to the instrumentation seam', () => {
    for (const metric of SSE_METRICS) {
      if (metric.type === 'histogram') {
        expect(metric.read).toBeUndefined();
        expect(metric.buckets?.length).toBeGreaterThan(5);
        expect([...metric.buckets!].sort((a, b) => a - b)).toEqual(metric.buckets);
      } else {
        expect(metric.read).toBeDefined();
      }
    }
  });

  it('use only bounded labels: no channel, user, address or URL', () => {
    const labels = new Set(SSE_METRICS.flatMap((metric) => metric.labels));
    expect([...labels].sort()).toEqual(['outcome', 'reason', 'route', 'state', 'status']);
    expect(Object.keys(SSE_METRIC_LABELS).sort()).toEqual(['outcome', 'reason', 'route', 'state', 'status']);
  });

  it('read one sample per close reason, refusal status and broker state, and one per route that had a stream', () => {
    const given = stats({
      closed: { ...stats().closed, 'slow-client': 2 },
      refused: { 401: 1, 403: 0, 429: 3, 503: 4 },
      openByRoute: { '/a': 2, '/b': 0 },
      brokerStatus: { state: 'resyncing' },
    });
    expect(sseMetric('sse_streams_closed_total').read!(given)).toHaveLength(11);
    expect(sseMetric('sse_streams_closed_total').read!(given)).toContainEqual({
      labels: { reason: 'slow-client' },
      value: 2,
    });
    expect(sseMetric('sse_refusals_total').read!(given)).toEqual([
      { labels: { status: '401' }, value: 1 },
      { labels: { status: '403' }, value: 0 },
      { labels: { status: '429' }, value: 3 },
      { labels: { status: '503' }, value: 4 },
    ]);
    expect(sseMetric('sse_streams_open').read!(given)).toEqual([
      { labels: { route: '/a' }, value: 2 },
      { labels: { route: '/b' }, value: 0 },
    ]);
    // Resyncing still serves: joins wait for the resubscription, then succeed (as readiness counts it).
    expect(sseMetric('sse_broker_up').read!(given)).toEqual([{ labels: {}, value: 1 }]);
    expect(sseMetric('sse_broker_up').read!(stats({ brokerStatus: { state: 'down' } }))).toEqual([
      { labels: {}, value: 0 },
    ]);
    expect(sseMetric('sse_broker_state').read!(given)).toEqual([
      { labels: { state: 'up' }, value: 0 },
      { labels: { state: 'down' }, value: 0 },
      { labels: { state: 'resyncing' }, value: 1 },
    ]);
  });

  it('add up the samples of several hubs by label set, and take the lowest for sse_broker_up', () => {
    const first = stats({ opened: 2, openByRoute: { '/a': 1 } });
    const second = stats({ opened: 3, openByRoute: { '/a': 2, '/b': 1 }, brokerStatus: { state: 'down' } });
    expect(readSamples(sseMetric('sse_streams_opened_total'), [first, second])).toEqual([{ labels: {}, value: 5 }]);
    expect(readSamples(sseMetric('sse_streams_open'), [first, second])).toEqual([
      { labels: { route: '/a' }, value: 3 },
      { labels: { route: '/b' }, value: 1 },
    ]);
    expect(readSamples(sseMetric('sse_broker_up'), [first, second])).toEqual([{ labels: {}, value: 0 }]);
    // One series per state, with the number of hubs in it.
    expect(readSamples(sseMetric('sse_broker_state'), [first, second, stats()])).toEqual([
      { labels: { state: 'up' }, value: 2 },
      { labels: { state: 'down' }, value: 1 },
      { labels: { state: 'resyncing' }, value: 0 },
    ]);
    expect(readSamples(sseMetric('sse_stream_duration_seconds'), [first])).toEqual([]);
  });

  it('are all in the table of docs/metrics.md, both names', () => {
    const doc = readFileSync(new URL('../../docs/metrics.md', import.meta.url), 'utf8');
    for (const metric of SSE_METRICS) {
      expect(doc).toContain(`\`${metric.name}\``);
      expect(doc).toContain(`\`${metric.otelName}\``);
    }
  });
});
