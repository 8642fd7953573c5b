import type { AddressInfo } from 'node:net';
import type { Browser, Page } from 'playwright-core';
import { openEventStream } from 'nestjs-event-stream/testing';
import { createSampleApp, type SampleApp } from '../../sample/src/bootstrap.js';
import { demoAnswer, demoAnswerTokens } from '../../sample/src/assistant/demo-answer.js';
import { DemoTextGenerator } from '../../sample/src/assistant/demo-text.generator.js';
import { sharedBrowserClientDir } from '../utils/browser-client.js';
import { launchChromium } from '../utils/chromium.js';

/** A word every 40 ms: an answer of about 190 words takes some 8 s, time enough to reload in the middle. */
const TOKEN_MS = '40';
const PROMPT = 'What happens when I reload?';
const STOP_PROMPT = 'And when I press Stop?';

/** The assistant panel of the sample page in Debian's Chromium: ask, reload mid-answer, resume; Stop. */
describe('the sample page’s assistant panel in Chromium', () => {
  let sample: SampleApp;
  let url: string;
  let browser: Browser;
  let page: Page;
  const problems: string[] = [];
  /** The assistant requests the page made, with the Last-Event-ID each sent. */
  const requests: { method: string; path: string; lastEventId: string | undefined }[] = [];

  const status = () => page.getAttribute('#assistant-status', 'data-status');
  const answer = async () => (await page.textContent('#assistant-answer')) ?? '';
  /** Resolves once the panel shows at least `count` words of the answer. */
  const wordsShown = (count: number) =>
    page.waitForFunction(
      `(document.querySelector('#assistant-answer').textContent.match(/\\S+/g)?.length ?? 0) >= ${count}`,
    );
  const generator = () => sample.app.get(DemoTextGenerator);

  /** The words the server recorded for run `id` (read from its start, after its end), and its final word. */
  async function recording(id: string): Promise<{ text: string; end: unknown }> {
    const stream = await openEventStream(sample.app, `/assistant/runs/${id}`, {
      headers: { authorization: 'Bearer demo-token' },
    });
    await stream.waitForEnd();
    const text = stream.events
      .filter((event) => event.type === 'token')
      .map((event) => (JSON.parse(event.data) as { text: string }).text)
      .join('');
    const end = stream.events.find((event) => event.type === 'sse-end');
    return { text, end: end && JSON.parse(end.data) };
  }

  beforeAll(async () => {
    process.env.SAMPLE_CLIENT_DIR = await sharedBrowserClientDir();
    sample = await createSampleApp(
      { TICK_MS: '1000', CLOCK_MS: '1000', POST_LIMIT: '1000', ASSISTANT_TOKEN_MS: TOKEN_MS },
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
    page.on('request', (request) => {
      const path = new URL(request.url()).pathname;
      if (path.startsWith('/assistant/')) {
        requests.push({ method: request.method(), path, lastEventId: request.headers()['last-event-id'] });
      }
    });
    await page.goto(url);
  });

  afterAll(async () => {
    await browser?.close();
    await sample?.app.close();
  });

  afterEach(() => {
    expect(problems).toEqual([]);
  });

  it('says that the answer comes from a deterministic demo generator, not a model', async () => {
    const note = await page.textContent('#assistant .demo-note');
    expect(note).toContain('No model here');
    expect(note).toContain('a deterministic demo text generator');
    expect(await status()).toBe('none');
    expect(await page.isDisabled('#assistant-stop')).toBe(true);
  });

  it('resumes after a reload mid-answer with Last-Event-ID: the final text is the whole answer, no word lost or repeated', async () => {
    await page.fill('#assistant-prompt', PROMPT);
    await page.click('#assistant-ask');
    await page.locator('#assistant-status[data-status="streaming"]').waitFor();
    await wordsShown(12);
    const id = (await page.textContent('#assistant-run'))!;
    expect(id).toMatch(/^[0-9a-f]{32}$/);

    await page.reload();
    // The text kept by the tab first, then the rest read after its last event id.
    await page.locator('#assistant-note', { hasText: 'Resumed after event' }).waitFor();
    const kept = Number(/the first (\d+) words/.exec((await page.textContent('#assistant-note'))!)![1]);
    expect(kept).toBeGreaterThanOrEqual(12);
    expect(kept).toBeLessThan(demoAnswerTokens(PROMPT).length);
    expect(await page.textContent('#assistant-run')).toBe(id);
    await page.locator('#assistant-status[data-status="completed"]').waitFor({ timeout: 15_000 });
    expect(await answer()).toBe(demoAnswer(PROMPT));
    expect(await page.textContent('#assistant-status')).toBe('done: the whole answer');

    // One POST started the run; after the reload, one GET resumed it after the last word the tab had.
    const mine = requests.filter((request) => request.path.includes('/assistant/runs'));
    expect(mine.map((request) => `${request.method} ${request.path}`)).toEqual([
      'POST /assistant/runs',
      `GET /assistant/runs/${id}`,
    ]);
    expect(mine[1].lastEventId).toMatch(/^[a-z0-9]+\.\d+$/);
    expect(mine[0].lastEventId).toBeUndefined();
    expect((await recording(id)).text).toBe(demoAnswer(PROMPT));
    expect(generator().generating).toBe(0);
  });

  it('stops on Stop: the generator stops, no word comes after, and the panel says "stopped"', async () => {
    await page.fill('#assistant-prompt', STOP_PROMPT);
    await page.click('#assistant-ask');
    await wordsShown(5);
    expect(generator().generating).toBe(1);
    const id = (await page.textContent('#assistant-run'))!;
    await page.click('#assistant-stop');
    await page.locator('#assistant-status[data-status="cancelled"]').waitFor();
    expect(await page.textContent('#assistant-status')).toBe('stopped');
    expect(generator().generating).toBe(0);

    // What the panel shows is all the run recorded, and only a part of the answer: nothing came after the stop.
    const shown = await answer();
    const recorded = await recording(id);
    expect(recorded.end).toEqual({ reason: 'completed', outcome: 'cancelled' });
    expect(shown).toBe(recorded.text);
    expect(shown.length).toBeLessThan(demoAnswer(STOP_PROMPT).length);
    expect(demoAnswer(STOP_PROMPT).startsWith(shown)).toBe(true);
    expect(requests.filter((request) => request.path === `/assistant/runs/${id}/cancel`)).toHaveLength(1);
    expect(await page.isDisabled('#assistant-stop')).toBe(true);
    expect(await page.isEnabled('#assistant-ask')).toBe(true);

    // A reload shows the stopped answer as it was, without opening a stream.
    const before = requests.length;
    await page.reload();
    await page.locator('#assistant-status[data-status="cancelled"]').waitFor();
    expect(await answer()).toBe(shown);
    expect(requests.slice(before)).toEqual([]);
  });
});
