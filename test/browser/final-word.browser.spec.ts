import {
  Controller,
  Get,
  Header,
  Injectable,
  Query,
  UseGuards,
  type CanActivate,
  type ExecutionContext,
} from '@nestjs/common';
import { interval, map, NEVER, take } from 'rxjs';
import type { Browser, Page } from 'playwright-core';
import { waitForHub } from 'nestjs-event-stream/testing';
import { EventStream, SseClient, SseHub, sseEvent, type SseRequest } from '../../lib/index.js';
import { startApp, type TestApp } from '../utils/test-app.js';
import { launchChromium } from '../utils/chromium.js';
import { publishTicks } from '../utils/publish.js';

/**
 * The README's browser snippet: what a page does with the final word. Kept
 * here verbatim, so that the snippet is what Chromium runs.
 */
const SNIPPET = `
const source = new EventSource(url);
source.addEventListener('sse-end', (event) => {
  const { reason } = JSON.parse(event.data);
  // 'completed' and 'revoked' are for good; on any other end the browser
  // reconnects by itself after the retry hint, with Last-Event-ID.
  if (reason === 'completed' || reason === 'revoked') source.close();
});
`;

/** Stands in for an auth guard: `EventSource` sends no headers, so the test names the user in the URL. */
@Injectable()
class UserFromQuery implements CanActivate {
  canActivate(context: ExecutionContext): boolean {
    const request = context.switchToHttp().getRequest<SseRequest>();
    const user = request.query?.user;
    if (typeof user === 'string') request.user = { id: user };
    return true;
  }
}

/** Requests each stream route got, with the `Last-Event-ID` they carried (`null`: none). */
const requests: { route: string; lastEventId: string | null }[] = [];

@Controller()
class PageController {
  constructor(private readonly hub: SseHub) {}

  @Get('page')
  @Header('content-type', 'text/html; charset=utf-8')
  page(@Query('stream') stream: string) {
    return `<!doctype html><title>final word</title><script>
      window.seen = []; window.words = [];
      const url = ${JSON.stringify(stream)};
      ${SNIPPET}
      source.addEventListener('tick', (event) => window.seen.push(event.data));
      source.addEventListener('sse-end', (event) => window.words.push(JSON.parse(event.data).reason));
      window.source = source;
    </script>`;
  }

  @EventStream('done')
  done(@SseClient() client: SseClient) {
    requests.push({ route: 'done', lastEventId: client.lastEventId ?? null });
    return interval(10).pipe(
      take(3),
      map((n) => sseEvent({ event: 'tick', data: String(n) })),
    );
  }

  @EventStream('feed', { maxLifetimeMs: 150 })
  feed(@SseClient() client: SseClient) {
    requests.push({ route: 'feed', lastEventId: client.lastEventId ?? null });
    return this.hub.join(client, 'ticks');
  }

  @EventStream('account')
  @UseGuards(UserFromQuery)
  account(@SseClient() client: SseClient) {
    requests.push({ route: 'account', lastEventId: client.lastEventId ?? null });
    return this.hub.join(client, 'account');
  }

  @EventStream('idle')
  idle() {
    return NEVER;
  }
}

describe('the final word in Chromium (the README snippet)', () => {
  let app: TestApp;
  let hub: SseHub;
  let browser: Browser;
  let page: Page;

  beforeAll(async () => {
    app = await startApp({ controllers: [PageController] }, { retryMs: 50, heartbeatMs: 0 });
    hub = app.app.get(SseHub);
    browser = await launchChromium();
  });

  afterAll(async () => {
    await browser?.close();
    await app?.close();
  });

  beforeEach(async () => {
    requests.length = 0;
    page = await browser.newPage();
  });

  afterEach(async () => {
    await page.close();
  });

  it("'completed': the page closes the EventSource for good, and the browser does not reconnect", async () => {
    await page.goto(`${app.url}/page?stream=/done`);
    await page.waitForFunction('window.words.includes("completed")');
    expect(await page.evaluate('window.seen')).toEqual(['0', '1', '2']);
    expect(await page.evaluate('window.source.readyState')).toBe(2); // EventSource.CLOSED: no reconnect, by spec
    // Another stream of the same page opens and is served after it: the closed one never came back.
    await page.evaluate(`new EventSource('/idle')`);
    await waitForHub(hub, () => hub.count() === 1);
    expect(requests.filter((request) => request.route === 'done')).toHaveLength(1);
  });

  it("'lifetime': the browser reconnects with Last-Event-ID and resumes, losing nothing while events are published", async () => {
    await page.goto(`${app.url}/page?stream=/feed`);
    await waitForHub(hub, () => hub.count('ticks') === 1);
    const published = await publishTicks(hub, 'ticks', 100);
    await page.waitForFunction(`window.seen.length >= ${published.length}`);
    expect(await page.evaluate('window.seen')).toEqual(published);
    const words = (await page.evaluate('window.words')) as string[];
    expect(words.length).toBeGreaterThanOrEqual(2);
    expect(new Set(words)).toEqual(new Set(['lifetime']));
    const feeds = requests.filter((request) => request.route === 'feed');
    // One request per lifetime ended, plus the first; the last reconnect may still be under way.
    expect(feeds.length).toBeGreaterThanOrEqual(words.length);
    expect(feeds.length).toBeLessThanOrEqual(words.length + 1);
    expect(feeds[0].lastEventId).toBeNull();
    expect(feeds.slice(1).every((request) => request.lastEventId !== null)).toBe(true);
    expect(await page.evaluate('window.source.readyState')).not.toBe(2);
  });

  it("'revoked': the page closes for good; 'disconnected': the browser comes back by itself", async () => {
    await page.goto(`${app.url}/page?stream=${encodeURIComponent('/account?user=ann')}`);
    await waitForHub(hub, () => hub.count('account') === 1);
    await hub.disconnect(hub.connections()[0].id);
    await page.waitForFunction('window.words.includes("disconnected")');
    await waitForHub(hub, () => hub.count('account') === 1);
    expect(requests.filter((request) => request.route === 'account')).toHaveLength(2);

    await hub.revoke({ userId: 'ann' });
    await page.waitForFunction('window.words.includes("revoked")');
    expect(await page.evaluate('window.source.readyState')).toBe(2);
    await page.evaluate(`new EventSource('/idle')`);
    await waitForHub(hub, () => hub.count() === 1);
    expect(hub.count('account')).toBe(0);
    expect(requests.filter((request) => request.route === 'account')).toHaveLength(2);
  });
});
