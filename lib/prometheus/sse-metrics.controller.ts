import { Controller, Get, Header, type Type } from '@nestjs/common';
import { SsePrometheusExporter } from './sse-prometheus.exporter.js';

/** The controller of `GET /<path>`: the registry in the text exposition format, with its content type. */
export function sseMetricsController(path: string, contentType: string): Type {
  @Controller()
  class SseMetricsController {
    constructor(private readonly exporter: SsePrometheusExporter) {}

    @Get(path)
    @Header('Content-Type', contentType)
    @Header('Cache-Control', 'no-store')
    metrics(): Promise<string> {
      return this.exporter.metrics();
    }
  }
  return SseMetricsController;
}
