import { Inject, Injectable, type OnApplicationShutdown, type OnModuleInit } from '@nestjs/common';
import { SseHub } from '../hub/sse-hub.js';
import { SsePrometheusMetrics } from './sse-prometheus-metrics.js';
import { SSE_PROMETHEUS_OPTIONS } from './sse-prometheus.constants.js';
import type { ResolvedSsePrometheusOptions } from './sse-prometheus-options.interface.js';

/**
 * Puts the hub's metrics into the prom-client registry while the app runs,
 * and takes them out once it has shut down: in `onApplicationShutdown`,
 * after the streams that `app.close()` ends (reason `shutdown`) were counted
 * and timed. Injectable, for an app that serves the registry itself:
 * `metrics()` is the text exposition.
 */
@Injectable()
export class SsePrometheusExporter implements OnModuleInit, OnApplicationShutdown {
  private detach: (() => void) | undefined;

  constructor(
    private readonly hub: SseHub,
    @Inject(SSE_PROMETHEUS_OPTIONS) private readonly options: ResolvedSsePrometheusOptions,
  ) {}

  onModuleInit(): void {
    this.detach ??= SsePrometheusMetrics.attach(this.options.registry, this.options.prefix, this.hub);
  }

  onApplicationShutdown(): void {
    this.detach?.();
    this.detach = undefined;
  }

  /** The content type of `metrics()`: the registry's (Prometheus text 0.0.4, or OpenMetrics). */
  get contentType(): string {
    return this.options.registry.contentType;
  }

  /** The whole registry in the text exposition format (ours and every other metric in it). */
  metrics(): Promise<string> {
    return this.options.registry.metrics();
  }
}
