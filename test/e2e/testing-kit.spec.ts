import type { INestApplication } from '@nestjs/common';
import type { NestFastifyApplication } from '@nestjs/platform-fastify';
import { Test } from '@nestjs/testing';
import net, { type AddressInfo, type Socket } from 'node:net';
import {
  openEventStream,
  waitForChannelMembers,
  waitForConnections,
  waitForHub,
  type TestEventStream,
} from 'nestjs-event-stream/testing';
import { SseHub, SseModule, type SseLifecycleEvent } from '../../lib/index.js';
import type { KitEvents } from '../src/testing-kit/kit-events.js';
import { TestingKitController } from '../src/testing-kit/testing-kit.controller.js';
import { TickerController, type TickerEvents } from '../src/testing-kit/ticker.controller.js';
import { createDevCertificate } from '../utils/dev-certificate.js';
import { watchHandles, type HandleWatch } from '../utils/handles.js';
import { createTestApplication, startApp, TEST_PLATFORM, type TestApp } from '../utils/test-app.js';

/** The handles a leaked request would hold: its socket (connecting or open) and its timer. */
const LEAKABLE = ['TCPSocketWrap', 'TLSWrap', 'ConnectWrap', 'Timeout'] as const;

/** How many of each leakable handle the process holds now (the app's own included). */
function handles(): Record<(typeof LEAKABLE)[number], number> {
  const active = process.getActiveResourcesInfo();
  return Object.fromEntries(LEAKABLE.map((type) => [type, active.filter((name) => name === type).length])) as never;
}

/** No more of any leakable handle than `before` (some of before's may have closed meanwhile). */
function expectNoMoreHandles(before: ReturnType<typeof handles>): void {
  const after = handles();
  for (const type of LEAKABLE)
    expect({ type, count: after[type] }).toEqual({ type, count: Math.min(after[type], before[type]) });
}

/**
 * That no socket or timer created since `watch` began is left: for the
 * requests that fail before a response, where the app creates nothing.
 */
async function expectNoHandlesLeft(watch: HandleWatch): Promise<void> {
  expect(await watch.stop()).toEqual({});
}

/** A port nothing listens on (it listened a moment ago). */
async function closedPort(): Promise<number> {
  const probe = net.createServer();
  await new Promise<void>((resolve) => probe.listen(0, '127.0.0.1', resolve));
  const { port } = probe.address() as AddressInfo;
  await new Promise<void>((resolve) => probe.close(() => resolve()));
  return port;
}

/** Never called: what the compiler must refuse (the file would not compile if it accepted it). */
export async function typeChecks(stream: TestEventStream<KitEvents>): Promise<void> {
  const tick = await stream.next('tick');
  const n: number = tick.data.n;
  // @ts-expect-error: a tick carries { n }, not { text }
  const text: string = tick.data.text;
  // @ts-expect-error: 'nope' is not an event of KitEvents
  await stream.next('nope');
  // @ts-expect-error: nor with take()
  await stream.take(2, 'nope');
  const any = await stream.next();
  if (any.type === 'note') {
    const noted: string = any.data.text;
    void noted;
  }
  void n;
  void text;
}

describe('the testing kit (nestjs-event-stream/testing)', () => {
  let server: TestApp;
  let hub: SseHub;

  beforeAll(async () => {
    server = await startApp({ controllers: [TestingKitController] }, { retryJitter: 0 });
    hub = server.app.get(SseHub);
  });
  afterAll(() => server.close());

  describe('openEventStream() and its stream', () => {
    it('resolves typed events with next(), next(type) and take(), each consumed once', async () => {
      const stream = await openEventStream<KitEvents>(server.app, '/kit/ticks');
      expect(stream.status).toBe(200);
      expect(stream.headers['content-type']).toMatch(/^text\/event-stream/);
      // The protocol comes from the app's server: HTTP/2 with prior knowledge to an h2c app (no Connection header there).
      expect(stream.headers.connection === undefined).toBe(server.platform === 'fastify-h2c');
      const first = await stream.next('tick');
      expect(first).toEqual({ type: 'tick', data: { n: 0 }, rawData: '{"n":0}', id: 'a', lastEventId: 'a' });
      // The note waits for its own call: next('tick') skips it without consuming it.
      const [one, two] = await stream.take(2, 'tick');
      expect([one.data.n, two.data.n]).toEqual([1, 2]);
      expect([two.id, two.lastEventId]).toEqual([undefined, 'b']);
      const note = await stream.next();
      expect(note).toMatchObject({ type: 'note', data: { text: 'between' }, lastEventId: 'a' });
      stream.close();
    });

    it('keeps every byte, the parsed events, comments, retry hints and the last id of id-only blocks', async () => {
      const stream = await openEventStream(server.app, '/kit/ticks');
      await stream.waitForText('id: c\n\n');
      expect(stream.text).toBe(
        'retry: 3000\n\n' +
          'event: tick\nid: a\ndata: {"n":0}\n\n' +
          'event: note\ndata: {"text":"between"}\n\n' +
          ': a comment\n\n' +
          'event: tick\nid: b\ndata: {"n":1}\n\n' +
          'event: tick\ndata: {"n":2}\n\n' +
          'id: c\n\n',
      );
      expect(stream.events.map((e) => [e.type, e.data])).toEqual([
        ['tick', '{"n":0}'],
        ['note', '{"text":"between"}'],
        ['tick', '{"n":1}'],
        ['tick', '{"n":2}'],
      ]);
      expect(stream.comments).toEqual(['a comment']);
      expect(stream.retries).toEqual([3000]);
      expect(stream.lastEventId).toBe('c');
      expect(await stream.waitForEvents(4)).toHaveLength(4);
      expect(await stream.waitForText(/data: \{"n":2\}/)).toBe(stream.text);
      expect(await stream.waitForText((text) => text.includes(': a comment'))).toBe(stream.text);
      stream.close();
    });

    it('sends Last-Event-ID with lastEventId, and a method, headers and a body', async () => {
      const resumed = await openEventStream(server.app, '/kit/echo', { lastEventId: '42' });
      expect((await resumed.next('echo')).data).toEqual({ lastEventId: '42' });
      const fresh = await openEventStream(server.app, '/kit/echo');
      expect((await fresh.next('echo')).data).toEqual({ lastEventId: null });
      const posted = await openEventStream(server.app, '/kit/posted', {
        method: 'POST',
        headers: { 'content-type': 'application/json' },
        body: JSON.stringify({ hello: 'kit' }),
      });
      expect((await posted.next('posted')).data).toEqual({ hello: 'kit' });
      await Promise.all([resumed, fresh, posted].map((stream) => stream.waitForEnd()));
    });

    it('reads a refused answer: status, headers, text and its end', async () => {
      const refused = await openEventStream(server.app, '/kit/refused');
      await refused.waitForEnd();
      expect(refused.status).toBe(401);
      expect(refused.headers['content-type']).toMatch(/^application\/json/);
      expect(JSON.parse(refused.text)).toMatchObject({ statusCode: 401, message: 'no token' });
      expect(refused.isEnded).toBe(true);
      await refused.ended;
      const stopped = await openEventStream(server.app, '/kit/stop');
      await stopped.ended;
      expect([stopped.status, stopped.text]).toEqual([204, '']);
    });

    it('decodes data as JSON by default, as text or with a function, and names the option when JSON fails', async () => {
      const json = await openEventStream(server.app, '/kit/plain');
      await expect(json.next()).rejects.toThrow(/data of a "message" event is not JSON.*decode: 'text'/s);
      // The event that failed to decode stays unconsumed; the next of another type is reachable.
      expect((await json.next('note')).data).toEqual({ text: 'json' });
      const text = await openEventStream(server.app, '/kit/plain', { decode: 'text' });
      expect((await text.take(2)).map((e) => e.data)).toEqual(['not json', '{"text":"json"}']);
      const custom = await openEventStream(server.app, '/kit/plain', {
        decode: (data, event) => `${event.type}:${data}`,
      });
      expect((await custom.next()).data).toBe('message:not json');
      await Promise.all([json, text, custom].map((stream) => stream.waitForEnd()));
    });

    it('opens a base URL string too (with http2: true for a server that speaks HTTP/2 only)', async () => {
      const stream = await openEventStream(server.url, '/kit/echo', { http2: server.platform === 'fastify-h2c' });
      expect((await stream.next('echo')).data).toEqual({ lastEventId: null });
      await stream.waitForEnd();
    });
  });

  describe('long streams and how they end', () => {
    it('consumes 20,000 events one next() at a time, in order', async () => {
      const count = 20_000;
      const stream = await openEventStream<{ message: number }>(server.app, `/kit/many?count=${count}`, {
        timeoutMs: 60_000,
      });
      for (let n = 0; n < count; n++) expect((await stream.next()).data).toBe(n);
      stream.close();
      await stream.ended;
      expect([stream.events.length, stream.endedBy]).toEqual([count, 'client']);
    }, 120_000);

    it('tells how the body ended (endedBy): by the server, by close(), or by a dropped connection (with error)', async () => {
      const ended = await openEventStream(server.app, '/kit/plain', { decode: 'text' });
      expect(ended.endedBy).toBeUndefined();
      await ended.ended;
      expect([ended.endedBy, ended.error]).toEqual(['server', undefined]);

      const closed = await openEventStream(server.app, '/kit/ticks');
      await closed.next('tick');
      closed.close();
      await closed.ended;
      expect([closed.endedBy, closed.error]).toEqual(['client', undefined]);

      const dropped = await openEventStream(server.app, '/kit/dropped');
      expect((await dropped.next()).data).toBe('before the drop');
      // A wait that is on rejects, saying the connection went away; `ended` resolves (it never rejects).
      const waiting = expect(dropped.next()).rejects.toThrow(
        /The stream ended \(status 200\) before the next event\. .*before the body ended/s,
      );
      server.app.get(TestingKitController).dropAll();
      await dropped.ended;
      expect(dropped.endedBy).toBe('error');
      expect(dropped.error).toBeInstanceOf(Error);
      expect(dropped.error!.message).toMatch(/before the body ended/);
      await waiting;
    });

    it('leaves no handle open on the client after close() or after the server ends the stream', async () => {
      const httpServer = server.app.getHttpServer() as net.Server;
      // The server's side of each connection closes too: awaited, so that only a client-side leak can remain.
      const serverSides: Promise<void>[] = [];
      const track = (socket: Socket) => serverSides.push(new Promise((resolve) => socket.once('close', resolve)));
      httpServer.on('connection', track);
      const before = handles();
      const ended = await openEventStream(server.app, '/kit/plain', { decode: 'text' });
      await ended.ended;
      const closed = await openEventStream(server.app, '/kit/ticks');
      await closed.next('tick');
      closed.close();
      await closed.ended;
      await Promise.all(serverSides);
      httpServer.off('connection', track);
      expect(serverSides).toHaveLength(2);
      expectNoMoreHandles(before);
    });
  });

  describe('waits that fail', () => {
    it('rejects a wait past timeoutMs, naming what it waited for and showing the end of what arrived', async () => {
      const stream = await openEventStream(server.app, '/kit/ticks', { timeoutMs: 150 });
      await stream.next('note');
      const started = Date.now();
      await expect(stream.next('note')).rejects.toThrow(
        /Timed out after 150 ms \(timeoutMs\) waiting for the next "note" event\. .*last characters: ".*id: c\\n\\n"/s,
      );
      expect(Date.now() - started).toBeLessThan(2000);
      await expect(stream.take(9)).rejects.toThrow(/waiting for 9 more events/);
      await expect(stream.waitForText('never sent')).rejects.toThrow(/text containing "never sent"/);
      await expect(stream.waitForEnd()).rejects.toThrow(/waiting for the stream to end/);
      stream.close();
    });

    // 'At once': with a deadline of a minute, the waits reject well within jest's 5 s for this test.
    it('rejects a wait at once when the stream ends before it', async () => {
      const stream = await openEventStream(server.app, '/kit/plain', { decode: 'text', timeoutMs: 60_000 });
      await expect(stream.next('tick')).rejects.toThrow(/The stream ended \(status 200\) before the next "tick" event/);
      await expect(stream.waitForEvents(5)).rejects.toThrow(/before 5 events in all/);
      expect(stream.endedBy).toBe('server');
    }, 5000);

    it('refuses a hostile header, method or body the same way on every protocol, before opening anything', async () => {
      const refusals: Array<[options: Parameters<typeof openEventStream>[2], message: RegExp]> = [
        [{ lastEventId: 'a\nb' }, /^openEventStream\(\): lastEventId must be a string without CR, LF, NUL/],
        [{ lastEventId: 'a\rb' }, /lastEventId must be a string without CR, LF, NUL/],
        [{ headers: { 'x-note': 'a\u0000b' } }, /headers\["x-note"\] must be a string without CR, LF, NUL/],
        [{ headers: { 'x-note': 'a\r\nx-injected: yes' } }, /headers\["x-note"\] must be a string without CR, LF/],
        [{ headers: { 'Bad Name': 'x' } }, /^openEventStream\(\): "Bad Name" is not a valid header name/],
        [{ method: 'GE T' }, /^openEventStream\(\): method must be an HTTP method name.*got "GE T"/],
        [
          { method: 'POST', body: 42 as never },
          /^openEventStream\(\): body must be a string or a Uint8Array.*got number 42/,
        ],
      ];
      for (const [options, message] of refusals) {
        const before = watchHandles();
        const error = await openEventStream(server.app, '/kit/echo', options).catch((failure: unknown) => failure);
        expect(error).toBeInstanceOf(TypeError);
        expect((error as Error).message).toMatch(message);
        // Nothing was opened, so nothing is left: no socket, no timer.
        await expectNoHandlesLeft(before);
      }
      // A connection-specific header: HTTP/2 forbids it (refused up front), HTTP/1.1 sends it.
      const connection = openEventStream(server.app, '/kit/echo', { headers: { connection: 'close' } });
      if (server.platform === 'fastify-h2c') {
        await expect(connection).rejects.toThrow(/the "connection" header is specific to an HTTP\/1\.1 connection/);
      } else {
        await (await connection).waitForEnd();
      }
    });

    it('leaves no socket or timer behind when Node refuses the request while sending it', async () => {
      // An HTTP/2 CONNECT needs an :authority and no :path: Node throws as the request is made, after connecting began.
      const url = `http://127.0.0.1:${await closedPort()}`;
      const before = watchHandles();
      await expect(openEventStream(url, '/kit', { http2: true, method: 'CONNECT', timeoutMs: 60_000 })).rejects.toThrow(
        /^openEventStream\(\): CONNECT http:\/\/127\.0\.0\.1:\d+\/kit \(HTTP\/2\) failed before a response: ERR_HTTP2_CONNECT_AUTHORITY/,
      );
      await expectNoHandlesLeft(before);
    });

    it('refuses a bad target or option with a message saying what to pass', async () => {
      await expect(openEventStream({} as never, '/kit/ticks')).rejects.toThrow(
        /listening INestApplication or a base URL/,
      );
      for (const timeoutMs of [0, -5, 1.5, NaN, Infinity, 2 ** 31, '100']) {
        await expect(openEventStream(server.app, '/kit/ticks', { timeoutMs: timeoutMs as number })).rejects.toThrow(
          new TypeError(
            `openEventStream(): timeoutMs must be an integer of milliseconds from 1 to 2147483647 (what setTimeout keeps); ` +
              `got ${typeof timeoutMs === 'string' ? JSON.stringify(timeoutMs) : `number ${timeoutMs}`}. Leave it out for the default (5000).`,
          ),
        );
      }
      const counted = await openEventStream(server.app, '/kit/plain', { decode: 'text' });
      // A bad count rejects too: no wait throws.
      await expect(counted.take(-1)).rejects.toThrow(
        /take\(\): the count must be a non-negative integer; got number -1/,
      );
      await counted.waitForEnd();
      await expect(openEventStream('ftp://127.0.0.1', '/x')).rejects.toThrow(/not a valid http: or https: URL/);
      const moduleRef = await Test.createTestingModule({ imports: [SseModule.forRoot()] }).compile();
      const idle: INestApplication = moduleRef.createNestApplication({ logger: false });
      await expect(openEventStream(idle, '/kit/ticks')).rejects.toThrow(
        /not listening\. Call `await app\.listen\(0\)`/,
      );
      await idle.close();
    });
  });

  describe('close() and the hub helpers', () => {
    it('releases the connection on close(): the hub sees the disconnect, and close() again does nothing', async () => {
      const events: SseLifecycleEvent[] = [];
      const subscription = hub.lifecycle$.subscribe((event) => events.push(event));
      const stream = await openEventStream(server.app, '/kit/room?channel=kit-close');
      await waitForChannelMembers(hub, 'kit-close', 1);
      const [client] = hub.connections({ channel: 'kit-close' });
      stream.close();
      stream.close();
      await stream.ended;
      await waitForConnections(hub, 0);
      subscription.unsubscribe();
      expect(events).toContainEqual(expect.objectContaining({ type: 'disconnected', client }));
      expect(hub.count('kit-close')).toBe(0);
    });

    it('awaits channel members and any hub predicate without sleeping', async () => {
      const streams = await Promise.all([1, 2].map(() => openEventStream(server.app, '/kit/room?channel=kit-room')));
      await waitForChannelMembers(hub, 'kit-room', 2);
      await waitForHub(hub, (h) => h.connections({ channel: 'kit-room' }).length === 2);
      await hub.publish('kit-room', { text: 'hi' });
      for (const stream of streams) expect((await stream.next()).data).toEqual({ text: 'hi' });
      streams[0].close();
      await waitForChannelMembers(hub, 'kit-room', 1);
      streams[1].close();
      await waitForChannelMembers(hub, 'kit-room', 0);
    });

    it('sees what lifecycle$ does not tell: a stream that leaves a channel and stays open, and stats() counters', async () => {
      const stream = await openEventStream(server.app, '/kit/leaving?channel=kit-leaving');
      await waitForChannelMembers(hub, 'kit-leaving', 1);
      const left = waitForChannelMembers(hub, 'kit-leaving', 0, { timeoutMs: 3000 });
      server.app.get(TestingKitController).leave('kit-leaving');
      await left;
      expect(stream.isEnded).toBe(false);

      const member = await openEventStream(server.app, '/kit/room?channel=kit-stats');
      const before = hub.stats().eventsPublished;
      const published = waitForHub(hub, (h) => h.stats().eventsPublished > before, { timeoutMs: 3000 });
      await hub.publish('kit-stats', { text: 'counted' });
      await published;
      expect((await member.next()).data).toEqual({ text: 'counted' });
      stream.close();
      member.close();
    });

    it('rejects a hub wait when the hub shuts down first, and bad arguments (they reject: never a throw)', async () => {
      const own = await startApp({ controllers: [TestingKitController] });
      const ownHub = own.app.get(SseHub);
      const waiting = waitForConnections(ownHub, 3, { timeoutMs: 60_000 });
      await own.close();
      await expect(waiting).rejects.toThrow(
        'The hub shut down (lifecycle$ completed) before 3 open streams. The hub has 0 open streams.',
      );
      for (const timeoutMs of [0, -5, NaN, Infinity, 2 ** 31]) {
        await expect(waitForHub(hub, () => false, { timeoutMs })).rejects.toThrow(
          new TypeError(
            `waitForHub(): timeoutMs must be an integer of milliseconds from 1 to 2147483647 (what setTimeout keeps); ` +
              `got number ${timeoutMs}. Leave it out for the default (5000).`,
          ),
        );
      }
      await expect(waitForChannelMembers(hub, 'kit', 1, { timeoutMs: 0 })).rejects.toThrow(
        /^waitForChannelMembers\(\): timeoutMs must be/,
      );
      await expect(waitForConnections(hub, -1)).rejects.toThrow(/^waitForConnections\(\): the count must be/);
      await expect(waitForHub(hub, 'nope' as never)).rejects.toThrow(
        /^waitForHub\(\): the predicate must be a function/,
      );
    });

    it('rejects a hub wait past its timeout with what it waited for and the hub state', async () => {
      await expect(waitForHub(hub, () => false, { timeoutMs: 100, description: 'a miracle' })).rejects.toThrow(
        /Timed out after 100 ms \(timeoutMs\) waiting for a miracle\. The hub has 0 open streams/,
      );
      await expect(waitForChannelMembers(hub, 'kit-nobody', 3, { timeoutMs: 100 })).rejects.toThrow(
        /channel "kit-nobody" to have 3 streams\. The hub has 0 streams in channel "kit-nobody" \(0 open streams\)/,
      );
    });
  });
});

describe('the testing kit over TLS', () => {
  const certificate = createDevCertificate();
  let app: INestApplication;

  beforeAll(async () => {
    const moduleRef = await Test.createTestingModule({
      imports: [SseModule.forRoot({ retryJitter: 0 })],
      controllers: [TestingKitController],
    }).compile();
    const https = { key: certificate.key, cert: certificate.cert };
    if (TEST_PLATFORM === 'express') {
      app = moduleRef.createNestApplication({ httpsOptions: https, logger: false, forceCloseConnections: true });
    } else {
      const { FastifyAdapter } = await import('@nestjs/platform-fastify');
      // On fastify-h2c: HTTP/2 over TLS (ALPN); on fastify: HTTPS over HTTP/1.1.
      const adapter =
        TEST_PLATFORM === 'fastify-h2c' ? new FastifyAdapter({ http2: true, https }) : new FastifyAdapter({ https });
      app = moduleRef.createNestApplication<NestFastifyApplication>(adapter as never, {
        logger: false,
        forceCloseConnections: true,
      });
    }
    await app.listen(0, '127.0.0.1');
  });
  afterAll(() => app.close());

  it('reads the protocol from the server and trusts the CA it is given', async () => {
    const stream = await openEventStream<KitEvents>(app, '/kit/ticks', { ca: certificate.cert });
    expect((await stream.next('tick')).data).toEqual({ n: 0 });
    // HTTP/2 over TLS (ALPN) to an HTTP/2 app: no Connection header; HTTPS over HTTP/1.1 otherwise.
    expect(stream.headers.connection === undefined).toBe(TEST_PLATFORM === 'fastify-h2c');
    stream.close();
  });

  it('refuses an untrusted certificate, unless rejectUnauthorized is false', async () => {
    await expect(openEventStream(app, '/kit/stop')).rejects.toThrow(/failed before a response: .*certificate/i);
    const stopped = await openEventStream(app, '/kit/stop', { rejectUnauthorized: false });
    await stopped.waitForEnd();
    expect(stopped.status).toBe(204);
  });
});

/**
 * docs/testing.md's complete example, the same code: only the describe name
 * differs, and `createTestApplication(moduleRef, { logger: false })` (the
 * suites' platform switch) stands for `moduleRef.createNestApplication()`.
 */
describe("the example of docs/testing.md (as written there, on the suites' platform)", () => {
  let app: INestApplication;
  let hub: SseHub;

  beforeAll(async () => {
    const moduleRef = await Test.createTestingModule({
      imports: [SseModule.forRoot()],
      controllers: [TickerController],
    }).compile();
    app = await createTestApplication(moduleRef, { logger: false });
    await app.listen(0); // any free port: the kit reads it from the app
    hub = app.get(SseHub);
  });
  afterAll(() => app.close()); // ends every stream still open

  it('sends ticks in order', async () => {
    const stream = await openEventStream<TickerEvents>(app, '/ticks');
    expect(stream.status).toBe(200);
    expect(stream.headers['content-type']).toBe('text/event-stream; charset=utf-8');

    const first = await stream.next('tick'); // first.data is { n: number }
    expect(first).toMatchObject({ type: 'tick', data: { n: 0 }, id: '0' });
    const next = await stream.take(2, 'tick');
    expect(next.map((tick) => tick.data.n)).toEqual([1, 2]);

    expect(stream.text).toContain('event: tick\nid: 0\ndata: {"n":0}\n\n'); // the raw frames
    stream.close();
  });

  it('resumes after Last-Event-ID', async () => {
    const stream = await openEventStream<TickerEvents>(app, '/ticks', { lastEventId: '41' });
    expect((await stream.next('tick')).data).toEqual({ n: 42 });
    stream.close();
  });

  it('delivers a room message to every member', async () => {
    const [alice, bob] = await Promise.all([openEventStream(app, '/rooms/1'), openEventStream(app, '/rooms/1')]);
    await waitForChannelMembers(hub, 'room:1', 2);
    await hub.publish('room:1', { text: 'hi' });
    for (const stream of [alice, bob]) expect((await stream.next()).data).toEqual({ text: 'hi' });

    alice.close();
    bob.close();
    await waitForConnections(hub, 0); // the server saw both disconnects
  });

  it('refuses what it should', async () => {
    const refused = await openEventStream(app, '/rooms/not%20a%20name');
    await refused.waitForEnd();
    expect(refused.status).toBe(400);
    expect(JSON.parse(refused.text)).toMatchObject({ statusCode: 400 });
  });
});
