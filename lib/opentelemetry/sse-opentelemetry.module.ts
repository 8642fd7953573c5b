import { Module, type DynamicModule } from '@nestjs/common';
import { SSE_OPENTELEMETRY_OPTIONS } from './sse-opentelemetry.constants.js';
import { SseOpenTelemetryExporter } from './sse-opentelemetry.exporter.js';
import type { SseOpenTelemetryOptions } from './sse-opentelemetry-options.interface.js';

/**
 * OpenTelemetry metrics of the app's event streams, through
 * `@opentelemetry/api` (an optional peer; the SDK and its exporters are the
 * app's). Import it once, beside `SseModule`, after the SDK is started (or
 * give it a `meterProvider`):
 *
 * ```ts
 * \@Module({ imports: [SseModule.forRoot(), SseOpenTelemetryModule.register()] })
 * export class AppModule {}
 * ```
 */
@Module({})
export class SseOpenTelemetryModule {
  static register(options: SseOpenTelemetryOptions = {}): DynamicModule {
    return {
      module: SseOpenTelemetryModule,
      providers: [{ provide: SSE_OPENTELEMETRY_OPTIONS, useValue: options }, SseOpenTelemetryExporter],
      exports: [SseOpenTelemetryExporter],
    };
  }
}
