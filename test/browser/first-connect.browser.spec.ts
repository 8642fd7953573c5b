import { Controller, Get, Header } from '@nestjs/common';
import type { Browser, Page } from 'playwright-core';
import { waitForHub } from 'nestjs-event-stream/testing';
import { EventStream, SseClient, SseHub } from '../../lib/index.js';
import { launchChromium } from '../utils/chromium.js';
import { startApp, type TestApp } from '../utils/test-app.js';

/** What happened on the server, in order: each stream request (with its `Last-Event-ID`, `null` for none) and each publish. */
const log: ({ request: string | null } | { published: string })[] = [];

@Controller()
class PageController {
  constructor(private readonly hub: SseHub) {}

  @Get('page')
  @Header('content-type', 'text/html; charset=utf-8')
  page() {
    return `<!doctype html><title>first connect</title><script>
      window.seen = [];
      window.source = new EventSource('/feed');
      window.source.onmessage = (event) => window.seen.push({ data: event.data, lastEventId: event.lastEventId });
    </script>`;
  }

  @EventStream('feed')
  feed(@SseClient() client: SseClient) {
    log.push({ request: client.lastEventId ?? null });
    return this.hub.join(client, 'first-connect');
  }
}

/** A real browser's EventSource and the id-only block a fresh hub stream starts with. */
describe('a first connect in Chromium', () => {
  let app: TestApp;
  let hub: SseHub;
  let browser: Browser;
  let page: Page;

  beforeAll(async () => {
    // The browser reconnects after about half a second (the hint is jittered): time to publish while it is away.
    app = await startApp({ controllers: [PageController] }, { retryMs: 500, heartbeatMs: 0 });
    hub = app.app.get(SseHub);
    browser = await launchChromium();
    page = await browser.newPage();
  });

  afterAll(async () => {
    await browser?.close();
    await app?.close();
  });

  it('takes the block for its last event id without a message, and after a drop reconnects with it and gets exactly what it missed', async () => {
    const head = await hub.publish('elsewhere', 'the newest event before the page connects');
    const publish = async (data: string) => {
      const id = await hub.publish('first-connect', data);
      log.push({ published: id });
      return id;
    };

    await page.goto(`${app.url}/page`);
    await page.waitForFunction('window.source.readyState === EventSource.OPEN');
    await waitForHub(hub, () => hub.count('first-connect') === 1);
    // Open, and nothing dispatched: the block carries an id only.
    expect(await page.evaluate('window.seen')).toEqual([]);

    // The server ends the stream (the browser reconnects after the retry hint) and events are published meanwhile.
    await hub.disconnect(hub.connections()[0].id);
    const missed = [await publish('m1'), await publish('m2'), await publish('m3')];
    await page.waitForFunction('window.seen.length >= 3');
    await waitForHub(hub, () => hub.count('first-connect') === 1);
    const live = await publish('live');
    await page.waitForFunction('window.seen.length >= 4');

    expect(await page.evaluate('window.seen')).toEqual([
      { data: 'm1', lastEventId: missed[0] },
      { data: 'm2', lastEventId: missed[1] },
      { data: 'm3', lastEventId: missed[2] },
      { data: 'live', lastEventId: live },
    ]);
    // The reconnection came after the publishes, and carried the position the first stream started at.
    expect(log).toEqual([
      { request: null },
      ...missed.map((id) => ({ published: id })),
      { request: head },
      { published: live },
    ]);
  });
});
