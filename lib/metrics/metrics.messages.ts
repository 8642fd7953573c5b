/** Every message of both metrics exporters (the instrumentation seam's is in lib/sse.messages.ts). */
export const METRICS_MESSAGES = {
  prometheusNameTaken: (name: string) =>
    `SsePrometheusModule: the registry already has a metric named "${name}" that this library did not register. Give SsePrometheusModule.register() a prefix (e.g. { prefix: 'myapp_' }) or a registry of its own.`,
  prometheusBadPrefix: (prefix: unknown) =>
    `SsePrometheusModule: prefix must match /^[a-zA-Z_:][a-zA-Z0-9_:]*$/ or be empty; got ${JSON.stringify(prefix)}.`,
  prometheusBadPath: (path: unknown) =>
    `SsePrometheusModule: path must be a route path such as 'metrics' or false (no endpoint); got ${JSON.stringify(path)}.`,
  prometheusBadRegistry: () =>
    `SsePrometheusModule: registry must be a prom-client Registry (new Registry(), or the register of prom-client).`,
  openTelemetryBadMeter: () =>
    `SseOpenTelemetryModule: meter must be an @opentelemetry/api Meter (meterProvider.getMeter(...)), and meterProvider a MeterProvider.`,
  openTelemetryNoopMeter: () =>
    `SseOpenTelemetryModule: no OpenTelemetry SDK is registered (the global MeterProvider is the no-op one), so the event streams' metrics go nowhere. Start the SDK before the app (node --import ./otel.mjs ...), or give SseOpenTelemetryModule.register() a meterProvider.`,
} as const;
