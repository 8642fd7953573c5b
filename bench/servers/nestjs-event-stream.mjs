/**
 * Contender "nestjs-event-stream": the hub with its default in-memory adapter.
 *
 * With BENCH_METRICS=prometheus (contender "nestjs-event-stream-metrics"), the
 * same app exports its metrics through the built `prometheus` entry point
 * (beside the `index.js` the app uses, so NESTJS_SSE_DIST A/B runs keep both in
 * step) into prom-client's global registry. Nothing scrapes them during the run:
 * what the table shows is what metrics cost between scrapes (the counters the
 * library keeps anyway, and the histograms' observe() on each close and publish).
 */
import { pathToFileURL } from 'node:url';
import { startNestjsSseServer } from './nestjs-event-stream-app.mjs';

const metrics = process.env.BENCH_METRICS;
if (metrics !== undefined && metrics !== 'prometheus') throw new Error(`BENCH_METRICS must be prometheus; got ${metrics}`);

/** Loaded before the app starts, so that the exporter is attached in the same turn as the app reports ready. */
async function loadPrometheus() {
  const index = process.env.NESTJS_SSE_DIST
    ? pathToFileURL(process.env.NESTJS_SSE_DIST)
    : new URL('../../dist/index.js', import.meta.url);
  const [{ SseHub }, { SsePrometheusExporter }, { register }] = await Promise.all([
    import(index.href),
    import(new URL('prometheus/index.js', index).href),
    import('prom-client'),
  ]);
  return { SseHub, SsePrometheusExporter, register };
}

const prometheus = metrics === 'prometheus' ? await loadPrometheus() : undefined;
const started = await startNestjsSseServer({
  name: metrics ? 'nestjs-event-stream-metrics' : 'nestjs-event-stream',
});

if (started && prometheus) {
  const { SseHub, SsePrometheusExporter, register } = prometheus;
  // What SsePrometheusModule.register({ path: false }) does, on the app the shared bench app built.
  new SsePrometheusExporter(started.app.get(SseHub), { registry: register, prefix: '', path: false }).onModuleInit();
}
