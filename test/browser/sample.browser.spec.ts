import { mkdir } from 'node:fs/promises';
import type { AddressInfo } from 'node:net';
import { fileURLToPath } from 'node:url';
import type { Browser, Page } from 'playwright-core';
import { SseHub } from 'nestjs-event-stream';
import { createSampleApp, type SampleApp } from '../../sample/src/bootstrap.js';
import { sharedBrowserClientDir } from '../utils/browser-client.js';
import { launchChromium } from '../utils/chromium.js';
import { waitForHub } from 'nestjs-event-stream/testing';

const ARTIFACTS = fileURLToPath(new URL('../artifacts/', import.meta.url));
/**
 * What Chromium itself logs, as console errors, for answers the page expects:
 * a refused stream (401), a 400 from the API, and, once the server is gone,
 * the typed client's failed reconnections.
 */
const EXPECTED_CONSOLE_ERRORS = [
  /Failed to load resource: the server responded with a status of (400|401)/,
  /ERR_CONNECTION_REFUSED/,
];

/**
 * The longest the page's typed client waits before it reconnects to a stream
 * that ended: the server's retry hint, the library's `retryMs` (3000) plus its
 * `retryJitter` (20%).
 */
const LONGEST_RECONNECT_DELAY_MS = 3600;

/** Debian's Chromium driven by playwright-core: what a real browser does with the sample page. */
describe('the sample page in Chromium', () => {
  let sample: SampleApp;
  let url: string;
  let browser: Browser;
  let page: Page;
  let serverClosed = false;
  const problems: string[] = [];
  /** Every POST of a room message the page sent. */
  const messagePosts: string[] = [];
  /** Every request the page made, and the status of every answer. */
  const requests: { method: string; url: string }[] = [];
  const responses: { url: string; status: number }[] = [];
  /** The ticker's stream requests: how the page sent them. */
  const tickerRequests: { type: string; headers: Record<string, string> }[] = [];
  /** The path of a URL, and its ticket. */
  const pathOf = (address: string) => new URL(address).pathname;
  const ticketOf = (address: string) => new URL(address).searchParams.get('ticket');

  /** What the API answers for a message text: the 400 message, or `undefined` when it is accepted. */
  async function apiVerdict(text: string): Promise<string | undefined> {
    const response = await fetch(`${url}rooms/lobby/messages`, {
      method: 'POST',
      headers: { 'content-type': 'application/json', authorization: 'Bearer demo-token' },
      body: JSON.stringify({ text }),
    });
    if (response.status === 201) return undefined;
    expect(response.status).toBe(400);
    return ((await response.json()) as { message: string[] }).message.join(', ');
  }

  async function setToken(token: string): Promise<void> {
    await page.fill('#token', token);
    await page.dispatchEvent('#token', 'change');
  }

  beforeAll(async () => {
    // The page imports the typed client from /lib/client/: built for this run, never dist/ (see sample/src/page/client-dir.ts).
    process.env.SAMPLE_CLIENT_DIR = await sharedBrowserClientDir();
    // The page asks for a ticket before every stream it opens: more POSTs than a person sends.
    // Ann is the user who signs out everywhere; demo, on the first page, is not.
    sample = await createSampleApp(
      {
        TICK_MS: '100',
        CLOCK_MS: '200',
        JOB_MS: '1000',
        POST_LIMIT: '1000',
        SSE_TOKENS: 'demo:demo-token,ann:ann-token',
      },
      { logger: false },
    );
    await sample.app.listen(0, '127.0.0.1');
    url = `http://127.0.0.1:${(sample.app.getHttpServer().address() as AddressInfo).port}/`;
    browser = await launchChromium();
    page = await browser.newPage({ viewport: { width: 1200, height: 820 } });
    page.on('pageerror', (error) => problems.push(`page error: ${error.message}`));
    page.on('console', (message) => {
      if (message.type() === 'error') problems.push(`console: ${message.text()}`);
    });
    page.on('request', (request) => {
      if (request.method() === 'POST' && request.url().endsWith('/messages')) messagePosts.push(request.url());
      requests.push({ method: request.method(), url: request.url() });
      if (new URL(request.url()).pathname === '/ticks')
        tickerRequests.push({ type: request.resourceType(), headers: request.headers() });
    });
    page.on('response', (response) => responses.push({ url: response.url(), status: response.status() }));
    await page.goto(url);
  });

  afterAll(async () => {
    await browser?.close();
    if (!serverClosed) await sample?.app.close();
  });

  it('shows the ticks as they arrive', async () => {
    await page.waitForFunction("/^\\d+$/.test(document.querySelector('#tick-n').textContent)");
    const first = await page.textContent('#tick-n');
    await page.waitForFunction(`document.querySelector('#tick-n').textContent !== ${JSON.stringify(first)}`);
    await page.locator('#ticker .state[data-state="open"]').waitFor();
    await page.locator('#clock .state[data-state="open"]').waitFor();
    await page.waitForFunction("document.querySelector('#clock-time').textContent.includes(':')");
    // The Server panel beside them (drawn and measured in stats-panel.browser.spec.ts).
    await page.locator('#server .state[data-state="open"]').waitFor();
    expect(await page.isHidden('#ticker .reason')).toBe(true);
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

  it('refuses a blank or too long message in the form with the API’s own message, sending nothing', async () => {
    const sent = messagePosts.length;
    for (const text of ['', '   ', '\t\u00a0 \u2003', 'x'.repeat(2001)]) {
      const verdict = await apiVerdict(text);
      expect(verdict).toBeDefined();
      await page.fill('#message', text);
      await page.click('#message-form button[type="submit"]');
      await page.locator('#message-error', { hasText: `Not sent: ${verdict}` }).waitFor();
      expect(await page.getAttribute('#message', 'aria-invalid')).toBe('true');
    }
    expect(messagePosts.length).toBe(sent);
    await page.fill('#message', 'typing again');
    await page.locator('#message-error').waitFor({ state: 'hidden' });

    // What the API accepts, the form sends: 2000 emoji are 2000 characters (4000 UTF-16 units).
    const emoji = '😀'.repeat(2000);
    expect(await apiVerdict(emoji)).toBeUndefined();
    await page.fill('#message', emoji);
    await page.click('#message-form button[type="submit"]');
    await page.waitForFunction("document.querySelector('#message').value === ''");
    expect(messagePosts.length).toBe(sent + 1);
    expect(await page.isHidden('#message-error')).toBe(true);
  });

  it('resets the shown last event id when the panel joins another room, then shows the new stream’s', async () => {
    await page.waitForFunction("document.querySelector('#room-last-id').textContent !== '–'");
    await page.fill('#room', 'elsewhere');
    await page.click('#room-form button[type="submit"]');
    await page.waitForFunction("document.querySelector('#room-last-id').textContent === '–'");
    await page.locator('#rooms .state[data-state="open"]').waitFor();
    expect(await page.locator('#room-messages li').count()).toBe(0);

    await page.fill('#message', 'first in elsewhere');
    const [answer] = await Promise.all([
      page.waitForResponse((response) => response.url().endsWith('/rooms/elsewhere/messages')),
      page.click('#message-form button[type="submit"]'),
    ]);
    const { id } = (await answer.json()) as { id: string };
    await page.locator('#room-messages li', { hasText: 'first in elsewhere' }).waitFor();
    expect(await page.textContent('#room-last-id')).toBe(id);
  });

  it('says why a stream is closed: a bad token is refused with 401, and the panels reopen with a good one', async () => {
    await setToken('bad-token');
    for (const panel of ['#clock', '#rooms']) {
      await page.locator(`${panel} .state[data-state="closed"]`).waitFor();
      await page.locator(`${panel} .reason`, { hasText: 'refused (401): bad or missing token' }).waitFor();
    }
    expect(await page.textContent('#room-last-id')).toBe('–');

    await setToken('demo-token');
    for (const panel of ['#clock', '#rooms']) {
      await page.locator(`${panel} .state[data-state="open"]`).waitFor();
      await page.locator(`${panel} .reason`).waitFor({ state: 'hidden' });
    }
  });

  it("opens the clock with a new ticket when the client's own reconnect is refused: a ticket opens one stream, once", async () => {
    await page.locator('#clock .state[data-state="open"]').waitFor();
    const open = responses.filter((response) => pathOf(response.url) === '/clock' && response.status === 200).at(-1)!;
    const used = ticketOf(open.url);
    expect(used).toMatch(/^[A-Za-z0-9_-]{43}$/);
    const isClock = (status: number) => (response: { url(): string; status(): number }) =>
      pathOf(response.url()) === '/clock' && response.status() === status;
    const refusedAnswer = page.waitForResponse(isClock(401));
    const reopenedAnswer = page.waitForResponse(isClock(200));

    // The server ends the stream: the typed client reconnects by itself, to the same URL, with the used ticket...
    const hub = sample.app.get(SseHub);
    expect(await hub.disconnect((client) => client.request.url?.startsWith('/clock?') ?? false)).toBe(1);
    const refused = await refusedAnswer;
    expect(ticketOf(refused.url())).toBe(used);
    // ...which is refused with 401 (the client stops for good), so the page asks for a new ticket and reopens.
    const reopened = await reopenedAnswer;
    const fresh = ticketOf(reopened.url());
    expect(fresh).toMatch(/^[A-Za-z0-9_-]{43}$/);
    expect(fresh).not.toBe(used);
    const ticketPosts = requests.filter((request) => request.method === 'POST' && pathOf(request.url) === '/tickets');
    expect(ticketPosts.length).toBeGreaterThanOrEqual(2);
    await page.locator('#clock .state[data-state="open"]').waitFor();
    const shown = await page.textContent('#clock-time');
    await page.waitForFunction(`document.querySelector('#clock-time').textContent !== ${JSON.stringify(shown)}`);
  });

  it('runs a job to 100 and done, then closes its stream', async () => {
    await page.click('#start-job');
    await page.waitForFunction("document.querySelector('#job-progress').value === 100");
    await page.locator('#job-status', { hasText: 'done' }).waitFor();
    expect(await page.textContent('#job-percent')).toBe('100');
    await page.locator('#jobs .state[data-state="closed"]').waitFor();
    expect(await page.textContent('#jobs .reason')).toBe('the job is done');
  });

  it('watches the job again after a reload, and says the server stopped it with 204 once it is over', async () => {
    await page.reload();
    await page.locator('#jobs .reason', { hasText: 'the server said stop (204' }).waitFor();
    expect(await page.getAttribute('#jobs .state', 'data-state')).toBe('closed');
    await page.locator('#ticker .state[data-state="open"]').waitFor();
    await page.locator('#clock .state[data-state="open"]').waitFor();
    await page.locator('#rooms .state[data-state="open"]').waitFor();
    await page.fill('#message', 'Hello again after the reload');
    await page.click('#message-form button[type="submit"]');
    await page.locator('#room-messages li', { hasText: 'Hello again after the reload' }).waitFor();
    await page.waitForFunction("/^\\d+$/.test(document.querySelector('#tick-n').textContent)");

    await mkdir(ARTIFACTS, { recursive: true });
    await page.screenshot({ path: `${ARTIFACTS}sample.png`, fullPage: true });
  });

  it('opens the clock and the jobs with single-use tickets: never the token in a URL, never the page reusing a ticket', async () => {
    const streams = requests.filter(({ url: address }) => /^\/(clock|jobs\/[^/]+\/events)$/.test(pathOf(address)));
    expect(streams.some(({ url: address }) => pathOf(address) === '/clock')).toBe(true);
    expect(streams.some(({ url: address }) => pathOf(address).startsWith('/jobs/'))).toBe(true);
    for (const { url: address } of streams) expect(ticketOf(address)).toMatch(/^[A-Za-z0-9_-]{43}$/);
    expect(requests.filter(({ url: address }) => address.includes('demo-token'))).toEqual([]);
    // Each ticket opened one stream; the one reused is the client's own reconnect of the clock (refused with 401).
    const uses = new Map<string, number>();
    for (const { url: address } of streams) uses.set(ticketOf(address)!, (uses.get(ticketOf(address)!) ?? 0) + 1);
    expect([...uses.values()].filter((count) => count > 1)).toEqual([2]);
  });

  it("signs a user out everywhere: both of the user's pages close their streams for good, saying why; the ticker and other users go on", async () => {
    const hub = sample.app.get(SseHub);
    const pages: Page[] = [];
    /** The stream and ticket requests of ann's pages. */
    const annRequests: { at: number; url: string }[] = [];
    for (let i = 0; i < 2; i++) {
      const annPage = await browser.newPage();
      pages.push(annPage);
      annPage.on('pageerror', (error) => problems.push(`page error: ${error.message}`));
      annPage.on('console', (message) => {
        if (message.type() === 'error') problems.push(`console: ${message.text()}`);
      });
      annPage.on('request', (request) => {
        if (/^\/(clock|tickets|rooms\/[^/]+\/events)$/.test(pathOf(request.url())))
          annRequests.push({ at: Date.now(), url: request.url() });
      });
      await annPage.goto(url);
      // Typed, then left: the browser's own change event (a later click elsewhere fires no other).
      await annPage.fill('#token', 'ann-token');
      await annPage.locator('#token').blur();
    }
    // Each of ann's pages has its clock (by ticket) and its room (by cookie) open as ann.
    await waitForHub(hub, () => hub.connections({ userId: 'ann' }).length === 4);
    for (const annPage of pages) {
      for (const panel of ['#ticker', '#clock', '#rooms'])
        await annPage.locator(`${panel} .state[data-state="open"]`).waitFor();
    }

    const clickedAt = Date.now();
    await pages[0].click('#sign-out');
    await pages[0]
      .locator('#sign-out-status', {
        hasText: /^ann is signed out everywhere; this token is refused until .+, then reload\.$/,
      })
      .waitFor();
    for (const annPage of pages) {
      for (const panel of ['#clock', '#rooms']) {
        await annPage.locator(`${panel} .state[data-state="closed"]`).waitFor();
        expect(await annPage.textContent(`${panel} .reason`)).toBe('signed out everywhere (revoked)');
      }
    }
    const revokedAt = Date.now();
    expect(hub.connections({ userId: 'ann' })).toEqual([]);

    // No reconnect: the ticker (a tick every 100 ms) runs on for longer than a browser waits before it reconnects; meanwhile
    // neither page asks for a stream or a ticket again, and each still says why its panels closed.
    const ticks = await Promise.all(pages.map(async (annPage) => Number(await annPage.textContent('#tick-n'))));
    await Promise.all(
      pages.map((annPage, i) =>
        annPage.waitForFunction(
          `Number(document.querySelector('#tick-n').textContent) >= ${ticks[i] + Math.ceil(LONGEST_RECONNECT_DELAY_MS / 100) + 5}`,
        ),
      ),
    );
    expect(Date.now() - revokedAt).toBeGreaterThan(LONGEST_RECONNECT_DELAY_MS);
    expect(annRequests.filter((request) => request.at >= clickedAt)).toEqual([]);
    for (const annPage of pages) {
      await annPage.locator('#ticker .state[data-state="open"]').waitFor();
      for (const panel of ['#clock', '#rooms']) {
        expect(await annPage.getAttribute(`${panel} .state`, 'data-state')).toBe('closed');
        expect(await annPage.textContent(`${panel} .reason`)).toBe('signed out everywhere (revoked)');
      }
    }
    expect(hub.connections({ userId: 'ann' })).toEqual([]);
    await mkdir(ARTIFACTS, { recursive: true });
    await pages[1].screenshot({ path: `${ARTIFACTS}sample-signed-out.png`, fullPage: true });

    // Demo's page is not signed out.
    for (const panel of ['#ticker', '#clock', '#rooms'])
      await page.locator(`${panel} .state[data-state="open"]`).waitFor();
    expect(hub.connections({ userId: 'demo' }).length).toBeGreaterThanOrEqual(2);
    await Promise.all(pages.map((annPage) => annPage.close()));
  });

  it('serves the typed client as ES modules, by exact name only', async () => {
    const index = await fetch(`${url}lib/client/index.js`);
    expect(index.status).toBe(200);
    expect(index.headers.get('content-type')).toMatch(/^text\/javascript/);
    expect(await index.text()).toContain('EventStreamClient');
    const parser = await fetch(`${url}lib/protocol/event-stream-parser.js`);
    expect(parser.status).toBe(200);
    expect(parser.headers.get('content-type')).toMatch(/^text\/javascript/);
    for (const path of [
      'lib/client/..%2F..%2Fpackage.json',
      'lib/client/..%2Fprotocol%2Fevent-stream-parser.js',
      'lib/client/%2e%2e%2f%2e%2e%2fpackage.json',
      'lib/client/index.ts',
      'lib/client/index.d.ts',
      'lib/protocol/event-id.js',
      'lib/protocol/..%2Fclient%2Findex.js',
    ]) {
      const answer = await fetch(url + path);
      expect([path, answer.status]).toEqual([path, 404]);
    }
  });

  it("the ticker's stream is the typed client's fetch: Accept text/event-stream, and its reconnect sends Last-Event-ID", async () => {
    await page.locator('#ticker .state[data-state="open"]').waitFor();
    await page.waitForFunction("document.querySelector('#tick-last-id').textContent !== '–'");
    const before = tickerRequests.length;
    const hub = sample.app.get(SseHub);
    const reconnected = page.waitForRequest((request) => new URL(request.url()).pathname === '/ticks');
    expect(await hub.disconnect((client) => client.request.url?.startsWith('/ticks') ?? false)).toBeGreaterThanOrEqual(
      1,
    );
    await reconnected;
    await page.locator('#ticker .state[data-state="open"]').waitFor();
    for (const request of tickerRequests) {
      expect(request.type).toBe('fetch');
      expect(request.headers.accept).toBe('text/event-stream');
    }
    expect(tickerRequests.length).toBe(before + 1);
    expect(tickerRequests.at(-1)!.headers['last-event-id']).toMatch(/^[a-z0-9]+\.\d+$/);
  });

  it('shows "reconnecting" while the server is gone: the browser keeps retrying', async () => {
    serverClosed = true;
    await sample.app.close();
    for (const panel of ['#ticker', '#clock', '#rooms']) {
      await page.locator(`${panel} .state[data-state="reconnecting"]`).waitFor();
      expect(await page.textContent(`${panel} .reason`)).toBe('connection lost, retrying');
    }
    const unexpected = problems.filter((problem) => !EXPECTED_CONSOLE_ERRORS.some((pattern) => pattern.test(problem)));
    expect(unexpected).toEqual([]);
  });
});
