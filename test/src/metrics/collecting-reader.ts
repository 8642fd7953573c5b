import { MetricReader, type DataPoint, type Histogram, type ResourceMetrics } from '@opentelemetry/sdk-metrics';

/** A metric reader that collects when asked: what an exporter would be handed, in memory. */
export class CollectingReader extends MetricReader {
  protected override onForceFlush(): Promise<void> {
    return Promise.resolve();
  }

  protected override onShutdown(): Promise<void> {
    return Promise.resolve();
  }

  /** Collects now; throws on collection errors (a callback that threw). */
  async read(): Promise<ResourceMetrics> {
    const { resourceMetrics, errors } = await this.collect();
    if (errors.length > 0) throw errors[0];
    return resourceMetrics;
  }
}

/** The data points of instrument `name` in `collected` (every scope), optionally those whose attributes include `attributes`. */
export function pointsOf<T = number>(
  collected: ResourceMetrics,
  name: string,
  attributes: Record<string, string | number> = {},
): DataPoint<T>[] {
  return collected.scopeMetrics
    .flatMap((scope) => scope.metrics)
    .filter((metric) => metric.descriptor.name === name)
    .flatMap((metric) => metric.dataPoints as DataPoint<T>[])
    .filter((point) => Object.entries(attributes).every(([key, value]) => point.attributes[key] === value));
}

/** The one value of instrument `name` with `attributes` (undefined if none; throws if several match). */
export function valueOf(
  collected: ResourceMetrics,
  name: string,
  attributes: Record<string, string | number> = {},
): number | undefined {
  const points = pointsOf(collected, name, attributes);
  if (points.length > 1) throw new Error(`${points.length} points of ${name} match ${JSON.stringify(attributes)}`);
  return points[0]?.value;
}

/** The one histogram point of `name` with `attributes`. */
export function histogramOf(
  collected: ResourceMetrics,
  name: string,
  attributes: Record<string, string | number> = {},
): Histogram | undefined {
  const points = pointsOf<Histogram>(collected, name, attributes);
  if (points.length > 1) throw new Error(`${points.length} points of ${name} match ${JSON.stringify(attributes)}`);
  return points[0]?.value;
}
