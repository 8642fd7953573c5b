import { mkdir } from 'node:fs/promises';
import type { AddressInfo } from 'node:net';
import { fileURLToPath } from 'node:url';
import type { Browser, Page } from 'playwright-core';
import { createSampleApp, type SampleApp } from '../../sample/src/bootstrap.js';
import { sharedBrowserClientDir } from '../utils/browser-client.js';
import { launchChromium } from '../utils/chromium.js';
import { RedisServer } from '../utils/redis.js';

const ARTIFACTS = fileURLToPath(new URL('../artifacts/', import.meta.url));

/**
 * In the page, `coloredPixels(selector)`: the pixels of a canvas drawn in a
 * series' colour (saturated: not the grey grid, not the background). A script
 * as text: this project compiles without the DOM's types.
 */
const PIXEL_COUNTER = `
  window.coloredPixels = (query) => {
    const canvas = document.querySelector(query);
    const { data } = canvas.getContext('2d').getImageData(0, 0, canvas.width, canvas.height);
    let count = 0;
    for (let i = 0; i < data.length; i += 4) {
      const [r, g, b, a] = [data[i], data[i + 1], data[i + 2], data[i + 3]];
      if (a > 128 && Math.max(r, g, b) - Math.min(r, g, b) > 60) count++;
    }
    return count;
  };
`;

function coloredPixels(page: Page, selector: string): Promise<number> {
  return page.evaluate(`window.coloredPixels(${JSON.stringify(selector)})`);
}

/** Resolves once the canvas has more than `min` coloured pixels (it is redrawn once a second). */
async function waitForPixels(page: Page, selector: string, min: number): Promise<void> {
  await page.waitForFunction(`window.coloredPixels(${JSON.stringify(selector)}) > ${min}`);
}

const number = async (page: Page, selector: string) => Number(await page.textContent(selector));

/**
 * The sample page's "Server" panel in Chromium: it reads `GET /stats/events`
 * with the typed client, like the other panels, and draws the last 60 s of
 * streams and events per second on canvases, the numbers and the broker's
 * state beside them. The ticker is slowed down, so that the test's own
 * publishes are what moves the events chart.
 */
describe("the sample page's Server panel in Chromium", () => {
  let sample: SampleApp;
  let url: string;
  let browser: Browser;
  let page: Page;
  const problems: string[] = [];

  beforeAll(async () => {
    process.env.SAMPLE_CLIENT_DIR = await sharedBrowserClientDir();
    sample = await createSampleApp(
      { TICK_MS: '600000', CLOCK_MS: '1000', POST_LIMIT: '1000', SSE_TOKENS: 'demo:demo-token' },
      { logger: false },
    );
    await sample.app.listen(0, '127.0.0.1');
    url = `http://127.0.0.1:${(sample.app.getHttpServer().address() as AddressInfo).port}/`;
    browser = await launchChromium();
    page = await browser.newPage({ viewport: { width: 1200, height: 900 } });
    page.on('pageerror', (error) => problems.push(`page error: ${error.message}`));
    page.on('console', (message) => {
      if (message.type() === 'error') problems.push(`console: ${message.text()}`);
    });
    await page.addInitScript(PIXEL_COUNTER);
    await page.goto(url);
  });

  afterAll(async () => {
    await browser?.close();
    await sample?.app.close();
  });

  it('opens its stream and shows the streams open and the broker up', async () => {
    await page.locator('#server .state[data-state="open"]').waitFor();
    await page.locator('#broker-state[data-broker="up"]').waitFor();
    expect(await page.textContent('#broker-state')).toBe('broker up');
    // The page's own streams: ticker, clock, room and this one at least.
    await page.waitForFunction("Number(document.querySelector('#stats-streams').textContent) >= 4");
    expect(await page.isHidden('#server .reason')).toBe(true);
  });

  it('draws the streams as a line, and the events per second as bars that rise while a test publishes', async () => {
    await page.waitForFunction("document.querySelector('#stats-streams-max').textContent.startsWith('max')");
    await waitForPixels(page, '#stats-streams-chart', 30);
    const quiet = await coloredPixels(page, '#stats-events-chart');

    // Publish room messages for a few seconds: the events per second and its bars follow.
    let published = 0;
    const publishing = (async () => {
      const until = Date.now() + 3500;
      while (Date.now() < until) {
        const response = await fetch(`${url}rooms/lobby/messages`, {
          method: 'POST',
          headers: { 'content-type': 'application/json', authorization: 'Bearer demo-token' },
          body: JSON.stringify({ text: `busy ${published}` }),
        });
        expect(response.status).toBe(201);
        published++;
        await new Promise((resolve) => setTimeout(resolve, 40));
      }
    })();
    await page.waitForFunction("Number(document.querySelector('#stats-events').textContent) >= 5");
    await publishing;
    expect(published).toBeGreaterThan(20);
    expect(await number(page, '#stats-delivered')).toBeGreaterThan(0);
    await waitForPixels(page, '#stats-events-chart', quiet + 50);
    expect(await page.textContent('#stats-events-max')).toMatch(/^max \d+(\.\d)?$/);

    await mkdir(ARTIFACTS, { recursive: true });
    await page.locator('#server').screenshot({ path: `${ARTIFACTS}stats-panel.png` });
    await page.screenshot({ path: `${ARTIFACTS}sample-with-stats.png`, fullPage: true });
    expect(problems).toEqual([]);
  });

  it('counts a stream that opens elsewhere', async () => {
    const before = await number(page, '#stats-streams');
    const other = await browser.newPage();
    await other.goto(url);
    await other.locator('#server .state[data-state="open"]').waitFor();
    await page.waitForFunction(`Number(document.querySelector('#stats-streams').textContent) > ${before}`);
    await other.close();
  });

  it('says the broker is unknown while its own stream is away, not the last state it saw, and up once it is back', async () => {
    await page.locator('#broker-state[data-broker="up"]').waitFor();
    // No way back for the stats stream until unrouted; every open connection is cut.
    await page.route('**/stats/events', (route) => route.abort());
    (sample.app.getHttpServer() as import('node:http').Server).closeAllConnections();
    await page.locator('#server .state[data-state="reconnecting"]').waitFor();
    await page.locator('#broker-state[data-broker="unknown"]').waitFor();
    expect(await page.textContent('#broker-state')).toBe('broker unknown');
    await page.unroute('**/stats/events');
    await page.locator('#broker-state[data-broker="up"]').waitFor();
    await page.locator('#server .state[data-state="open"]').waitFor();
    expect(await page.textContent('#stats-events-max')).toMatch(/^max \d+(\.\d)?$/);
    // The cut connections are logged by the browser itself; the page's code threw nothing.
    expect(problems.filter((problem) => problem.startsWith('page error'))).toEqual([]);
  });
});

/** The panel's broker badge on the sample run on a private Redis, stopped and started again. */
describe("the sample page's Server panel on Redis, in Chromium", () => {
  let server: RedisServer;
  let sample: SampleApp;
  let browser: Browser;
  let page: Page;
  let stopped = false;

  beforeAll(async () => {
    process.env.SAMPLE_CLIENT_DIR = await sharedBrowserClientDir();
    server = await RedisServer.start();
    sample = await createSampleApp(
      { TICK_MS: '600000', SSE_TOKENS: 'demo:demo-token', SSE_REDIS_URL: server.url, SSE_REDIS_PREFIX: 'stats-panel:' },
      { logger: false },
    );
    await sample.app.listen(0, '127.0.0.1');
    const url = `http://127.0.0.1:${(sample.app.getHttpServer().address() as AddressInfo).port}/`;
    browser = await launchChromium();
    page = await browser.newPage({ viewport: { width: 1200, height: 900 } });
    await page.goto(url);
  });

  afterAll(async () => {
    await browser?.close();
    if (stopped) await server.start();
    await sample?.app.close();
    await server?.stop();
  });

  it('turns the badge to "broker down" while Redis is stopped (no address of Redis on the page), and back to up', async () => {
    await page.locator('#broker-state[data-broker="up"]').waitFor();
    stopped = true;
    await server.stop();
    await page.locator('#broker-state[data-broker="down"]').waitFor();
    expect(await page.textContent('#broker-state')).toBe('broker down');
    // The public stream sends the state only: the detail names the host of Redis.
    expect(await page.content()).not.toContain(`127.0.0.1:${server.port}`);
    // The stats stream itself needs no Redis: it stays open through the outage.
    expect(await page.getAttribute('#server .state', 'data-state')).toBe('open');
    await mkdir(ARTIFACTS, { recursive: true });
    await page.locator('#server').screenshot({ path: `${ARTIFACTS}stats-panel-broker-down.png` });
    await server.start();
    stopped = false;
    await page.locator('#broker-state[data-broker="up"]').waitFor();
  });
});
