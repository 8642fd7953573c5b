import { Inject, Injectable, type OnModuleDestroy, type OnModuleInit } from '@nestjs/common';
import { SseHub } from '../hub/sse-hub.js';
import { SsePrometheusMetrics } from './sse-prometheus-metrics.js';
import { SSE_PROMETHEUS_OPTIONS } from './sse-prometheus.constants.js';
import type { ResolvedSsePrometheusOptions } from './sse-prometheus-options.interface.js';

/**
 * Puts the hub's metrics into the prom-client registry while the module
 * lives, and takes them out when it is destroyed. Injectable, for an app
 * that serves the registry itself: `metrics()` is the text exposition.
 */
@Injectable()
export class SsePrometheusExporter implements OnModuleInit, OnModuleDestroy {
  private detach: (() => void) | undefined;

  constructor(
    private readonly hub: SseHub,
    @Inject(SSE_PROMETHEUS_OPTIONS) private readonly options: ResolvedSsePrometheusOptions,
  ) {}

  onModuleInit(): void {
    this.detach ??= SsePrometheusMetrics.attach(this.options.registry, this.options.prefix, this.hub);
  }

  onModuleDestroy(): void {
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
