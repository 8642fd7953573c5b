import { openEventStream } from 'nestjs-event-stream/testing';
import { sampleOf, scrape } from '../src/metrics/exposition.js';
import { buildNodeApp } from '../utils/node-app.js';
import { ChildApp } from '../utils/child-app.js';

/**
 * The app runs as a process of its own: @willsoto/nestjs-prometheus is
 * CommonJS and requires @nestjs/common (ESM-only since Nest 12), which Node
 * loads and Jest's module system does not.
 */
describe('SsePrometheusModule beside @willsoto/nestjs-prometheus', () => {
  let child: ChildApp;
  let url: string;

  beforeAll(async () => {
    child = ChildApp.start(
      await buildNodeApp('metrics-willsoto', [
        'test/src/metrics/willsoto/main.ts',
        'test/src/metrics/metrics-fixture.ts',
      ]),
    );
    const { port } = await child.waitForJsonLine<{ port: number }>();
    url = `http://127.0.0.1:${port}`;
  }, 30_000);
  afterAll(() => child?.stop());

  it('starts without a duplicate-registration error, and one /metrics shows its metrics, the app’s and ours', async () => {
    const stream = await openEventStream(url, '/feed/news');
    expect(stream.status).toBe(200);
    await fetch(`${url}/orders/place`);
    const text = await scrape(`${url}/metrics`);
    expect(sampleOf(text, 'sse_streams_open', { route: '/feed/:channel' })).toBe(1);
    expect(sampleOf(text, 'sse_streams_opened_total')).toBe(1);
    expect(sampleOf(text, 'orders_total')).toBe(1);
    expect(text).toContain('# TYPE process_cpu_user_seconds_total counter'); // its default metrics
    expect(text.match(/^# TYPE sse_streams_open gauge$/gm)).toHaveLength(1);
    stream.close();
    expect(child.output).not.toMatch(/already been registered|Error/);
  });
});
