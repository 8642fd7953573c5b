import type { Browser, Page } from 'playwright-core';
import { SseHub, sseEvent } from '../../lib/index.js';
import { serveBrowserClient, sharedBrowserClientDir } from '../utils/browser-client.js';
import { launchChromium } from '../utils/chromium.js';
import { startApp, type TestApp } from '../utils/test-app.js';
import { waitForHub } from 'nestjs-event-stream/testing';
import {
  CONFORMANCE_OPTIONS,
  ConformanceController,
  resetConformance,
  seen,
} from '../src/client/conformance.controller.js';
import type { IncomingMessage, ServerResponse } from 'node:http';

/** The page: it imports the compiled client as a plain ES module (no bundler) and exposes it as `window.sse`. */
const PAGE = `<!doctype html><meta charset="utf-8"><title>typed client</title>
<script type="module">
  import * as sse from '/lib/client/index.js';
  window.sse = sse;
  window.ready = true;
</script>`;

/** The `Last-Event-ID` and `Cookie` headers the raw routes got, read as UTF-8 bytes (`null`: none). */
const rawSeen: { url: string; lastEventId: string | null; cookie: string | null }[] = [];

const utf8 = (value: string | string[] | undefined) =>
  value === undefined ? null : Buffer.from(String(value), 'latin1').toString('utf8');

/** What a page and the stream routes that the Nest app does not have send: exact bytes. */
function pageAndWire(request: IncomingMessage, response: ServerResponse, next: () => void) {
  if (request.url === '/page') {
    response.setHeader('content-type', 'text/html; charset=utf-8');
    return void response.end(PAGE);
  }
  const url = request.url ?? '';
  if (url.startsWith('/unicode-id') || url.startsWith('/cookie')) {
    rawSeen.push({ url, lastEventId: utf8(request.headers['last-event-id']), cookie: utf8(request.headers.cookie) });
    response.writeHead(200, { 'content-type': 'text/event-stream', 'cache-control': 'no-cache' });
    const end = 'event: sse-end\ndata: {"reason":"completed"}\n\n';
    if (url.startsWith('/cookie'))
      return void response.end(`data: ${JSON.stringify(request.headers.cookie ?? null)}\n\n${end}`);
    const first = rawSeen.filter((r) => r.url === url).length === 1;
    // The first stream ends after an id outside Latin-1, with no final word: the client reconnects and resumes.
    return void response.end(
      first
        ? 'retry: 10\n\nid: ☃ é\ndata: "one"\n\n'
        : `data: ${JSON.stringify(rawSeen.at(-1)!.lastEventId)}\n\n${end}`,
    );
  }
  if (url !== '/wire') return next();
  response.writeHead(200, { 'content-type': 'text/event-stream', 'cache-control': 'no-cache' });
  response.end(
    'retry: 10\n\n: comment\n\nid: only-1\n\nid: only-2\r\n\r\nretry: 20\r\r' +
      'event: tick\ndata: {"n":1}\n\nevent: sse-end\ndata: {"reason":"completed"}\n\n',
  );
}

/** Runs `body` (the source of an async function of the page's `sse` module) in the page; resolves to what it returns. */
function inPage<T>(page: Page, body: string): Promise<T> {
  return page.evaluate(`(async (sse) => { ${body} })(window.sse)`) as Promise<T>;
}

describe('the typed client in Chromium, served as plain ES modules', () => {
  let app: TestApp;
  let hub: SseHub;
  let browser: Browser;
  let page: Page;
  const problems: string[] = [];

  beforeAll(async () => {
    const serve = await serveBrowserClient(await sharedBrowserClientDir());
    app = await startApp({ controllers: [ConformanceController] }, CONFORMANCE_OPTIONS, (nest) => {
      nest.use(serve);
      nest.use(pageAndWire);
    });
    hub = app.app.get(SseHub);
    browser = await launchChromium();
  }, 60_000);

  afterAll(async () => {
    await browser?.close();
    await app?.close();
  });

  beforeEach(async () => {
    resetConformance();
    rawSeen.length = 0;
    page = await browser.newPage();
    page.on('pageerror', (error) => problems.push(error.message));
    await page.goto(`${app.url}/page`);
    await page.waitForFunction('window.ready === true');
  });

  afterEach(async () => {
    await page.close();
    await waitForHub(hub, () => hub.count() === 0);
    expect(problems).toEqual([]);
  });

  it("typed events reach on() listeners and the async iterator; 'completed' closes it for good", async () => {
    const result = await inPage<{ listened: number[]; iterated: unknown[]; closed: unknown; states: string[] }>(
      page,
      `const client = new sse.EventStreamClient('/ticks');
       const listened = [];
       const states = [];
       client.on('tick', (data) => listened.push(data.n));
       client.onState((change) => states.push(change.state));
       const iterated = [];
       for await (const event of client) iterated.push([event.type, event.data.n, event.id, event.lastEventId]);
       return { listened, iterated, closed: await client.closed, states };`,
    );
    expect(result.listened).toEqual([0, 1, 2]);
    expect(result.iterated).toEqual([0, 1, 2].map((n) => ['tick', n, `t${n}`, `t${n}`]));
    expect(result.closed).toEqual({ reason: 'completed', end: { reason: 'completed' } });
    expect(result.states).toEqual(['open', 'closed']);
    expect(seen.filter((r) => r.route === 'ticks')).toHaveLength(1);
  });

  it('401: closed for good with the status and the server’s message; no second request', async () => {
    const closed = await inPage<{
      reason: string;
      status: number;
      code: string;
      serverMessage: string;
      isError: boolean;
    }>(
      page,
      `const client = sse.connectEventStream('/unauthorized');
       const closed = await client.closed;
       return { reason: closed.reason, status: closed.status, code: closed.error.code,
                serverMessage: closed.error.serverMessage, isError: closed.error instanceof sse.EventStreamError };`,
    );
    expect(closed).toEqual({
      reason: 'status',
      status: 401,
      code: 'status',
      serverMessage: 'token expired: sign in again',
      isError: true,
    });
    expect(seen.filter((r) => r.route === 'unauthorized')).toHaveLength(1);
  });

  it('no message for id-only blocks, retry-only blocks and comments; the ids still move', async () => {
    const result = await inPage<{ events: unknown[]; closed: string }>(
      page,
      `const client = new sse.EventStreamClient('/wire');
       const events = [];
       client.on('tick', (data, event) => events.push([event.type, data.n, event.id ?? null, event.lastEventId]));
       client.on('message', (data) => events.push(['message', data]));
       return { events, closed: (await client.closed).reason };`,
    );
    expect(result).toEqual({ events: [['tick', 1, null, 'only-2']], closed: 'completed' });
  });

  it("'lifetime' and 'disconnected': it reconnects with Last-Event-ID and loses nothing published meanwhile", async () => {
    await inPage(
      page,
      `window.got = []; window.ends = [];
       window.client = new sse.EventStreamClient('/short-lived', { decode: 'text', retry: { initialMs: 20 } });
       window.client.on('tick', (data) => window.got.push(data));
       window.client.onEnd((end) => window.ends.push(end.reason));`,
    );
    await waitForHub(hub, () => hub.count('ticks') === 1);
    const published: string[] = [];
    const publish = async () => {
      published.push(String(published.length));
      await hub.publish('ticks', sseEvent({ event: 'tick', data: published.at(-1)! }));
      await new Promise((resolve) => setTimeout(resolve, 5));
    };
    // 10 reconnects at the end of the stream's lifetime (60 ms), then a disconnect, publishing all along.
    while (seen.filter((r) => r.route === 'short-lived').length < 11) await publish();
    await waitForHub(hub, () => hub.count('ticks') === 1);
    await hub.disconnect(() => true);
    for (let i = 0; i < 20; i++) await publish();
    await page.waitForFunction(`window.got.length >= ${published.length}`);
    expect(await page.evaluate('window.got')).toEqual(published);
    const ends = (await page.evaluate('window.ends')) as string[];
    expect(ends).toContain('lifetime');
    expect(ends).toContain('disconnected');
    const requests = seen.filter((r) => r.route === 'short-lived');
    expect(requests.length).toBeGreaterThanOrEqual(12);
    expect(ends.filter((end) => end === 'lifetime').length).toBeGreaterThanOrEqual(10);
    expect(requests[0].lastEventId).toBeNull();
    expect(requests.slice(1).every((r) => (r.lastEventId ?? '') !== '')).toBe(true);
    await page.evaluate('window.client.close()');
  });

  it('an id outside Latin-1: the reconnect sends Last-Event-ID as its UTF-8 bytes and resumes', async () => {
    const result = await inPage<{ got: string[]; errors: string[]; closed: string; lastEventId: string }>(
      page,
      `const client = new sse.EventStreamClient('/unicode-id?typed', { decode: 'json' });
       const got = [];
       const errors = [];
       client.on('message', (data) => got.push(data));
       client.onError((error) => errors.push(error.code));
       const closed = (await client.closed).reason;
       return { got, errors, closed, lastEventId: client.lastEventId };`,
    );
    expect(result).toEqual({ got: ['one', '☃ é'], errors: [], closed: 'completed', lastEventId: '☃ é' });
    expect(rawSeen.map((r) => r.lastEventId)).toEqual([null, '☃ é']);
  });

  it("credentials: a same-origin cookie rides along by default and with 'include', not with 'omit'", async () => {
    await page.evaluate("document.cookie = 'session=s3cr3t; path=/'");
    const result = await inPage<Record<string, unknown[]>>(
      page,
      `const result = {};
       for (const credentials of ['omit', 'include', undefined]) {
         const client = new sse.EventStreamClient('/cookie?' + credentials, { credentials });
         const got = [];
         client.on('message', (data) => got.push(data));
         await client.closed;
         result[String(credentials)] = got;
       }
       return result;`,
    );
    expect(result).toEqual({ omit: [null], include: ['session=s3cr3t'], undefined: ['session=s3cr3t'] });
    expect(rawSeen.map((r) => [r.url, r.cookie])).toEqual([
      ['/cookie?omit', null],
      ['/cookie?include', 'session=s3cr3t'],
      ['/cookie?undefined', 'session=s3cr3t'],
    ]);
  });
});
