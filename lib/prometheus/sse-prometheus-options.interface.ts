import type { Registry } from 'prom-client';

/** How `SsePrometheusModule.register()` exports the metrics. */
export interface SsePrometheusOptions {
  /**
   * The prom-client registry the metrics go into. Default: prom-client's
   * global `register`, the one `@willsoto/nestjs-prometheus` and
   * `collectDefaultMetrics()` use, so one `/metrics` shows everything.
   */
  registry?: Registry;
  /** Put before every metric name (`myapp_` gives `myapp_sse_streams_open`). Default: none. */
  prefix?: string;
  /**
   * The route of the `GET` endpoint that serves the registry in the text
   * exposition format. Default: `'metrics'`. `false`: no endpoint (another
   * module serves the registry, e.g. `@willsoto/nestjs-prometheus`'s
   * `/metrics`).
   */
  path?: string | false;
}

/** The options once checked, with their defaults. */
export interface ResolvedSsePrometheusOptions {
  registry: Registry;
  prefix: string;
  path: string | false;
}
