import { Inject, Injectable, Logger, type OnApplicationShutdown, type OnModuleInit } from '@nestjs/common';
import { createNoopMeter, metrics, type Meter } from '@opentelemetry/api';
import { SseHub } from '../hub/sse-hub.js';
import { METRICS_MESSAGES } from '../metrics/metrics.messages.js';
import { SseOpenTelemetryInstruments } from './sse-opentelemetry-instruments.js';
import { SSE_METER_NAME, SSE_METER_VERSION, SSE_OPENTELEMETRY_OPTIONS } from './sse-opentelemetry.constants.js';
import type { SseOpenTelemetryOptions } from './sse-opentelemetry-options.interface.js';

/** The class of `@opentelemetry/api`'s no-op meter: what the global provider gives while no SDK is registered. */
const NoopMeter = createNoopMeter().constructor;

/**
 * Creates the instruments of docs/metrics.md on a meter while the app runs:
 * observable counters and gauges whose one batch callback per meter reads
 * `SseHub.stats()` when the SDK collects (nothing runs in between), and two
 * histograms recorded from `SseHub.instrument()`. Stops observing the hub
 * once the app has shut down: in `onApplicationShutdown`, after the streams
 * that `app.close()` ends (reason `shutdown`) were counted and timed. Uses
 * `@opentelemetry/api` only.
 */
@Injectable()
export class SseOpenTelemetryExporter implements OnModuleInit, OnApplicationShutdown {
  private readonly logger = new Logger('SseOpenTelemetryExporter');
  private readonly meter: Meter;
  private detach: (() => void) | undefined;

  constructor(
    private readonly hub: SseHub,
    @Inject(SSE_OPENTELEMETRY_OPTIONS) options: SseOpenTelemetryOptions,
  ) {
    const provider = options.meterProvider ?? metrics;
    this.meter = options.meter ?? provider.getMeter(SSE_METER_NAME, SSE_METER_VERSION);
    if (typeof this.meter?.createHistogram !== 'function') throw new Error(METRICS_MESSAGES.openTelemetryBadMeter());
  }

  onModuleInit(): void {
    if (this.detach) return;
    // Instruments made on the no-op meter stay no-ops: an SDK registered later would never see them.
    if (this.meter instanceof NoopMeter) this.logger.warn(METRICS_MESSAGES.openTelemetryNoopMeter());
    this.detach = SseOpenTelemetryInstruments.attach(this.meter, this.hub);
  }

  onApplicationShutdown(): void {
    this.detach?.();
    this.detach = undefined;
  }
}
