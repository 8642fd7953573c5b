import type { Meter, MeterProvider } from '@opentelemetry/api';

/** Where `SseOpenTelemetryModule.register()` creates its instruments. */
export interface SseOpenTelemetryOptions {
  /** The meter to create the instruments on. Default: `meterProvider.getMeter('nestjs-event-stream', <version>)`. */
  meter?: Meter;
  /** The provider to get the meter from. Default: the global one (`metrics` of `@opentelemetry/api`, set by your SDK). */
  meterProvider?: MeterProvider;
}
