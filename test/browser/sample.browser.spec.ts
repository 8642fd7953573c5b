import { mkdir } from 'node:fs/promises';
import type { AddressInfo } from 'node:net';
import { fileURLToPath } from 'node:url';
import { chromium, type Browser, type Page } from 'playwright-core';
import { createSampleApp, type SampleApp } from '../../sample/src/bootstrap.js';

const CHROMIUM = '/usr/bin/chromium';
const ARTIFACTS = fileURLToPath(new URL('../artifacts/', import.meta.url));

/** Debian's Chromium driven by playwright-core: what a real browser does with the sample page. */
describe('the sample page in Chromium', () => {
  let sample: SampleApp;
  let url: string;
  let browser: Browser;
  let page: Page;
  const problems: string[] = [];

  beforeAll(async () => {
    sample = await createSampleApp({ TICK_MS: '100', CLOCK_MS: '200', JOB_MS: '1000' }, { logger: false });
    await sample.app.listen(0, '127.0.0.1');
    url = `http://127.0.0.1:${(sample.app.getHttpServer().address() as AddressInfo).port}/`;
    browser = await chromium.launch({
      executablePath: CHROMIUM,
      args: [
        '--headless',
        '--no-sandbox',
        '--disable-gpu',
        '--no-first-run',
        '--disable-background-networking',
        '--disable-component-update',
        '--disable-sync',
      ],
    });
    page = await browser.newPage({ viewport: { width: 1200, height: 820 } });
    page.on('pageerror', (error) => problems.push(`page error: ${error.message}`));
    page.on('console', (message) => {
      if (message.type() === 'error') problems.push(`console: ${message.text()}`);
    });
    await page.goto(url);
  });

  afterAll(async () => {
    await browser?.close();
    await sample?.app.close();
  });

  it('shows the ticks as they arrive', async () => {
    await page.waitForFunction("/^\\d+$/.test(document.querySelector('#tick-n').textContent)");
    const first = await page.textContent('#tick-n');
    await page.waitForFunction(`document.querySelector('#tick-n').textContent !== ${JSON.stringify(first)}`);
    await page.locator('#ticker .state[data-state="open"]').waitFor();
    await page.locator('#clock .state[data-state="open"]').waitFor();
    await page.waitForFunction("document.querySelector('#clock-time').textContent.includes(':')");
  });

  it('posts a room message with the form and shows it from the stream', async () => {
    await page.locator('#rooms .state[data-state="open"]').waitFor();
    await page.fill('#message', 'Hello from Chromium');
    await page.click('#message-form button[type="submit"]');
    await page.locator('#room-messages li', { hasText: 'Hello from Chromium' }).waitFor();
    expect(await page.textContent('#room-messages li .user')).toBe('demo');
    expect(await page.inputValue('#message')).toBe('');
    await page.waitForFunction("document.querySelector('#room-last-id').textContent !== '–'");
  });

  it('runs a job to 100 and done, then closes its stream', async () => {
    await page.click('#start-job');
    await page.waitForFunction("document.querySelector('#job-progress').value === 100");
    await page.locator('#job-status', { hasText: 'done' }).waitFor();
    expect(await page.textContent('#job-percent')).toBe('100');
    await page.locator('#jobs .state[data-state="closed"]').waitFor();

    await mkdir(ARTIFACTS, { recursive: true });
    await page.screenshot({ path: `${ARTIFACTS}sample.png`, fullPage: true });
    expect(problems).toEqual([]);
  });
});
