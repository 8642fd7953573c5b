import { Controller, Get, Header, Query } from '@nestjs/common';
import { FastifyAdapter, type NestFastifyApplication } from '@nestjs/platform-fastify';
import { Test } from '@nestjs/testing';
import type { AddressInfo } from 'node:net';
import type { Browser, Page } from 'playwright-core';
import { waitForHub } from 'nestjs-event-stream/testing';
import { EventStream, SseClient, SseHub, SseModule, sseEvent } from '../../lib/index.js';
import { launchChromium } from '../utils/chromium.js';
import { createDevCertificate } from '../utils/dev-certificate.js';
import { createTestApplication, listen, type TestApp } from '../utils/test-app.js';

/** More EventSources than the six connections a browser opens to one origin over HTTP/1.1. */
const STREAMS = 8;

@Controller()
class TabsController {
  constructor(private readonly hub: SseHub) {}

  /** A page that opens `STREAMS` EventSources to this origin, as that many tabs would. */
  @Get('page')
  @Header('content-type', 'text/html; charset=utf-8')
  page() {
    return `<!doctype html><title>tabs</title><script>
      window.received = Array.from({ length: ${STREAMS} }, () => []);
      window.sources = window.received.map((list, i) => {
        const source = new EventSource('/tabs?tab=' + i);
        source.addEventListener('tick', (event) => list.push(event.data));
        return source;
      });
    </script>`;
  }

  @EventStream('tabs', { heartbeatMs: 0 })
  tabs(@Query('tab') _tab: string, @SseClient() client: SseClient) {
    return this.hub.join(client, 'ticks');
  }
}

/** What the page keeps on its window. */
interface Tabs {
  received: string[][];
  sources: { readyState: number }[];
}

async function moduleRef() {
  return Test.createTestingModule({ imports: [SseModule.forRoot({})], controllers: [TabsController] }).compile();
}

/** Broadcasts three ticks and resolves once every stream the page has open received them. */
async function tick(hub: SseHub, page: Page, live: number): Promise<number[]> {
  for (let n = 1; n <= 3; n++) await hub.publish('ticks', sseEvent({ event: 'tick', data: n }));
  await page.waitForFunction(
    (count) => (globalThis as unknown as Tabs).received.filter((list) => list.length >= 3).length >= count,
    live,
  );
  return page.evaluate(() => (globalThis as unknown as Tabs).received.map((list) => list.length));
}

describe('Chromium: more than six EventSources to one origin', () => {
  let browser: Browser;

  beforeAll(async () => {
    browser = await launchChromium({ ignoreCertificateErrors: true });
  });
  afterAll(() => browser.close());

  it(`over HTTP/2 with TLS, all ${STREAMS} are live and receive every event`, async () => {
    const { key, cert } = createDevCertificate();
    const adapter = new FastifyAdapter({ http2: true, https: { key, cert, allowHTTP1: true } });
    const app = (await moduleRef()).createNestApplication<NestFastifyApplication>(adapter, { logger: false });
    const server = await listen(app);
    const hub = app.get(SseHub);
    const page = await browser.newPage();
    try {
      await page.goto(`https://127.0.0.1:${(app.getHttpServer().address() as AddressInfo).port}/page`);
      const protocol = await page.evaluate(
        () =>
          (performance.getEntriesByType('navigation' as never)[0] as unknown as { nextHopProtocol: string })
            .nextHopProtocol,
      );
      expect(protocol).toBe('h2');
      await waitForHub(hub, (h) => h.count('ticks') === STREAMS);
      const counts = await tick(hub, page, STREAMS);
      expect(counts).toEqual(Array.from({ length: STREAMS }, () => 3));
    } finally {
      await page.close();
      await server.close();
    }
  });

  it('over HTTP/1.1, the same page gets six live streams, and the others wait for a connection', async () => {
    const server: TestApp = await listen(await createTestApplication(await moduleRef(), { logger: false }, 'fastify'));
    const hub = server.app.get(SseHub);
    const page = await browser.newPage();
    try {
      await page.goto(`${server.url}/page`);
      await waitForHub(hub, (h) => h.count('ticks') === 6);
      const counts = await tick(hub, page, 6);
      // Six got every tick; the other two never reached the server (their requests wait in the browser).
      expect(counts.filter((count) => count === 3)).toHaveLength(6);
      expect(counts.filter((count) => count === 0)).toHaveLength(STREAMS - 6);
      expect(hub.count('ticks')).toBe(6);
      const states = await page.evaluate(() =>
        (globalThis as unknown as Tabs).sources.map((source) => source.readyState),
      );
      expect(states.filter((state) => state === 1 /* OPEN */)).toHaveLength(6);
      expect(states.filter((state) => state === 0 /* CONNECTING */)).toHaveLength(STREAMS - 6);
    } finally {
      await page.close();
      await server.close();
    }
  });
});
