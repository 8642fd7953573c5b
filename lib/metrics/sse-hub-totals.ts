import type { SseHub } from '../hub/sse-hub.js';
import type { SseInstrumentation } from '../stream/sse-instrumentation.js';
import { SSE_METRICS, readSamples, type SseMetricDefinition, type SseMetricSample } from './sse-metrics.js';

/**
 * The hubs one exporter target (a prom-client registry and prefix, an
 * OpenTelemetry meter) reads, and what the hubs that left it had counted.
 * Counters are the sum over the hubs attached plus the final values of those
 * that left (so a counter never goes down when one app of the process
 * closes); gauges are the hubs attached only (a hub that left has nothing
 * open). Each hub feeds the target's histograms through its `instrument()`
 * while it is attached.
 */
export class SseHubTotals {
  private readonly hubs = new Map<SseHub, () => void>();
  /** The final counter values of the hubs that left, by metric name and label set. */
  private readonly departed = new Map<string, Map<string, SseMetricSample>>();

  /** Whether any hub is attached. */
  get size(): number {
    return this.hubs.size;
  }

  /** Attaches `hub`, its `observer` recording into the target's histograms (once per hub). */
  add(hub: SseHub, observer: SseInstrumentation): void {
    if (!this.hubs.has(hub)) this.hubs.set(hub, hub.instrument(observer));
  }

  /** Detaches `hub`: its observer is removed, its final counter values are kept. */
  remove(hub: SseHub): void {
    const stop = this.hubs.get(hub);
    if (!stop) return;
    stop();
    this.hubs.delete(hub);
    const stats = [hub.stats()];
    for (const definition of SSE_METRICS) {
      if (definition.type !== 'counter') continue;
      let kept = this.departed.get(definition.name);
      if (!kept) this.departed.set(definition.name, (kept = new Map()));
      for (const sample of readSamples(definition, stats)) {
        const key = JSON.stringify(sample.labels);
        kept.set(key, { labels: sample.labels, value: (kept.get(key)?.value ?? 0) + sample.value });
      }
    }
  }

  /**
   * The samples of a counter or gauge now: the attached hubs' `stats()`
   * combined (see `readSamples`), plus, for a counter, the departed hubs'.
   * Reads each hub's `stats()` once per call of `read` for all metrics.
   */
  read(): (definition: SseMetricDefinition) => SseMetricSample[] {
    const stats = [...this.hubs.keys()].map((hub) => hub.stats());
    return (definition) => {
      const live = stats.length > 0 ? readSamples(definition, stats) : [];
      const kept = this.departed.get(definition.name);
      if (definition.type !== 'counter' || !kept) return live;
      const byLabels = new Map(kept);
      for (const sample of live) {
        const key = JSON.stringify(sample.labels);
        byLabels.set(key, { labels: sample.labels, value: (byLabels.get(key)?.value ?? 0) + sample.value });
      }
      return [...byLabels.values()];
    };
  }
}
