import { Module, type DynamicModule } from '@nestjs/common';
import { register as globalRegister } from 'prom-client';
import { METRICS_MESSAGES } from '../metrics/metrics.messages.js';
import { SSE_PROMETHEUS_OPTIONS } from './sse-prometheus.constants.js';
import { SsePrometheusExporter } from './sse-prometheus.exporter.js';
import { sseMetricsController } from './sse-metrics.controller.js';
import type { ResolvedSsePrometheusOptions, SsePrometheusOptions } from './sse-prometheus-options.interface.js';

const PREFIX = /^([a-zA-Z_:][a-zA-Z0-9_:]*)?$/;

/** Checks the options, with their defaults: a bad one fails startup, naming it. */
export function resolvePrometheusOptions(options: SsePrometheusOptions = {}): ResolvedSsePrometheusOptions {
  const { registry = globalRegister, prefix = '', path = 'metrics' } = options;
  if (typeof registry?.registerMetric !== 'function' || typeof registry.metrics !== 'function') {
    throw new Error(METRICS_MESSAGES.prometheusBadRegistry());
  }
  if (typeof prefix !== 'string' || !PREFIX.test(prefix)) throw new Error(METRICS_MESSAGES.prometheusBadPrefix(prefix));
  if (path !== false && (typeof path !== 'string' || path.trim() === '')) {
    throw new Error(METRICS_MESSAGES.prometheusBadPath(path));
  }
  return { registry, prefix, path };
}

/**
 * Prometheus metrics of the app's event streams, through prom-client (an
 * optional peer): the metrics of docs/metrics.md in the registry (prom-client's
 * global one by default) and a `GET /metrics` endpoint that serves it. Import
 * it once, beside `SseModule`:
 *
 * ```ts
 * \@Module({ imports: [SseModule.forRoot(), SsePrometheusModule.register()] })
 * export class AppModule {}
 * ```
 *
 * With `@willsoto/nestjs-prometheus` (which serves the global registry on
 * its own `/metrics`), give `{ path: false }`.
 */
@Module({})
export class SsePrometheusModule {
  static register(options: SsePrometheusOptions = {}): DynamicModule {
    const resolved = resolvePrometheusOptions(options);
    return {
      module: SsePrometheusModule,
      providers: [{ provide: SSE_PROMETHEUS_OPTIONS, useValue: resolved }, SsePrometheusExporter],
      controllers: resolved.path === false ? [] : [sseMetricsController(resolved.path, resolved.registry.contentType)],
      exports: [SsePrometheusExporter],
    };
  }
}
