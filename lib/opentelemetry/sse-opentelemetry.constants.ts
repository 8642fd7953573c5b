import { createRequire } from 'node:module';

/** The injection token of the `SseOpenTelemetryModule` options. */
export const SSE_OPENTELEMETRY_OPTIONS = Symbol('SSE_OPENTELEMETRY_OPTIONS');

/** The instrumentation scope of the meter: the package's name and version. */
export const SSE_METER_NAME = 'nestjs-event-stream';
export const SSE_METER_VERSION: string = (createRequire(import.meta.url)('../../package.json') as { version: string })
  .version;
