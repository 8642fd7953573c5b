import { Controller, Get } from '@nestjs/common';
import { FastifyAdapter, type NestFastifyApplication } from '@nestjs/platform-fastify';
import { Test } from '@nestjs/testing';
import { createParser, type EventSourceMessage } from 'eventsource-parser';
import https from 'node:https';
import http2, { type ClientHttp2Session, type ClientHttp2Stream, type IncomingHttpHeaders } from 'node:http2';
import type { AddressInfo } from 'node:net';
import { of, Subject } from 'rxjs';
import { waitForHub } from 'nestjs-event-stream/testing';
import { EventStream, SseHub, SseModule, type SseCloseReason } from '../../lib/index.js';
import { HubController, streamUrl } from '../src/hub/hub-fixture.js';
import { createDevCertificate } from '../utils/dev-certificate.js';
import { createTestApplication, listen, type TestApp } from '../utils/test-app.js';

let feed = new Subject<string>();

@Controller()
class FeedController {
  @EventStream('feed')
  feed() {
    return feed;
  }

  @EventStream('none')
  none() {
    return null;
  }

  @EventStream('short')
  short() {
    return of('one', 'two');
  }

  @Get('plain')
  plain() {
    return { ok: true };
  }
}

/** One stream of an HTTP/2 session, read DATA frame by DATA frame (each `data` chunk) and parsed. */
class H2Stream {
  head: IncomingHttpHeaders = {};
  readonly chunks: string[] = [];
  readonly events: EventSourceMessage[] = [];
  readonly response: Promise<IncomingHttpHeaders>;
  readonly closed: Promise<void>;
  private readonly waiters = new Set<() => void>();
  private readonly parser = createParser({ onEvent: (event) => this.events.push(event) });
  private over = false;

  constructor(readonly stream: ClientHttp2Stream) {
    stream.setEncoding('utf8');
    stream.on('error', () => undefined);
    this.response = new Promise((resolve) =>
      stream.once('response', (head) => {
        this.head = head;
        resolve(head);
      }),
    );
    stream.on('data', (chunk: string) => {
      this.chunks.push(chunk);
      this.parser.feed(chunk);
      this.notify();
    });
    this.closed = new Promise((resolve) =>
      stream.once('close', () => {
        this.over = true;
        resolve();
        this.notify();
      }),
    );
  }

  get text(): string {
    return this.chunks.join('');
  }

  waitForEvents(count: number): Promise<EventSourceMessage[]> {
    return new Promise((resolve, reject) => {
      const check = () => {
        if (this.events.length >= count) {
          this.waiters.delete(check);
          resolve(this.events.slice());
        } else if (this.over) {
          this.waiters.delete(check);
          reject(new Error(`stream closed with ${this.events.length} of ${count} events: ${this.text.slice(-300)}`));
        }
      };
      this.waiters.add(check);
      check();
    });
  }

  private notify(): void {
    for (const check of [...this.waiters]) check();
  }
}

function request(session: ClientHttp2Session, path: string, method = 'GET'): H2Stream {
  return new H2Stream(session.request({ ':method': method, ':path': path }));
}

function connect(url: string, options: http2.SecureClientSessionOptions = {}): Promise<ClientHttp2Session> {
  return new Promise((resolve, reject) => {
    const session = http2.connect(url, options);
    session.once('connect', () => resolve(session));
    session.once('error', reject);
  });
}

/** Resolves with the reason of the next stream that disconnects. */
function nextDisconnect(hub: SseHub): Promise<SseCloseReason> {
  return new Promise((resolve) => {
    const subscription = hub.lifecycle$.subscribe((event) => {
      if (event.type !== 'disconnected') return;
      subscription.unsubscribe();
      resolve(event.reason);
    });
  });
}

async function startH2c(options: Parameters<typeof SseModule.forRoot>[0] = {}): Promise<TestApp> {
  const moduleRef = await Test.createTestingModule({
    imports: [SseModule.forRoot(options)],
    controllers: [FeedController, HubController],
  }).compile();
  return listen(await createTestApplication(moduleRef, { logger: false }, 'fastify-h2c'));
}

const path = (url: string) => new URL(url).pathname + new URL(url).search;

describe('Fastify over cleartext HTTP/2 (h2c, prior knowledge), read with node:http2', () => {
  let server: TestApp;
  let hub: SseHub;
  let session: ClientHttp2Session;

  beforeAll(async () => {
    server = await startH2c({ maxBufferedBytes: 64 * 1024, heartbeatMs: 0 });
    hub = server.app.get(SseHub);
  });
  beforeEach(async () => {
    feed = new Subject<string>();
    session = await connect(server.url);
  });
  afterEach(async () => {
    session.destroy();
    await waitForHub(hub, (h) => h.count() === 0);
  });
  afterAll(() => server.close());

  it('opens with the event-stream headers and no Connection header, and sends each event in a DATA frame as it is emitted', async () => {
    const stream = request(session, '/feed');
    const head = await stream.response;
    expect(head[':status']).toBe(200);
    expect(head['content-type']).toBe('text/event-stream; charset=utf-8');
    expect(head['cache-control']).toBe('no-cache, no-transform');
    expect(head['x-accel-buffering']).toBe('no');
    expect(head['connection']).toBeUndefined();
    expect(head['content-length']).toBeUndefined();
    await waitForHub(hub, (h) => h.count() === 1);
    feed.next('first');
    await stream.waitForEvents(1);
    const framesBefore = stream.chunks.length;
    feed.next('line 1\nline 2');
    const events = await stream.waitForEvents(2);
    expect(stream.chunks.length).toBe(framesBefore + 1);
    expect(stream.chunks[stream.chunks.length - 1]).toBe('data: line 1\ndata: line 2\n\n');
    expect(stream.text).toMatch(/^retry: \d+\n\ndata: first\n\ndata: line 1\ndata: line 2\n\n$/);
    expect(events.map((event) => event.data)).toEqual(['first', 'line 1\nline 2']);
  });

  it('ends the HTTP/2 stream (END_STREAM) when the Observable completes', async () => {
    const stream = request(session, '/short');
    await stream.closed;
    expect(stream.stream.rstCode).toBe(http2.constants.NGHTTP2_NO_ERROR);
    expect(stream.events.slice(0, 2).map((event) => event.data)).toEqual(['one', 'two']);
  });

  it('answers 204 without a body for a null result, and HEAD with the stream headers and no body', async () => {
    const none = request(session, '/none');
    expect((await none.response)[':status']).toBe(204);
    await none.closed;
    expect(none.text).toBe('');
    const head = request(session, '/feed', 'HEAD');
    const headers = await head.response;
    await head.closed;
    expect(headers[':status']).toBe(200);
    expect(headers['content-type']).toBe('text/event-stream; charset=utf-8');
    expect(headers['connection']).toBeUndefined();
    expect(head.text).toBe('');
  });

  it('carries 50 concurrent streams over one session, every one receiving every broadcast', async () => {
    const sessions = new Set<unknown>();
    const onSession = (serverSession: unknown) => sessions.add(serverSession);
    const httpServer = server.app.getHttpServer() as http2.Http2Server;
    httpServer.on('session', onSession);
    const streams = Array.from({ length: 50 }, () => request(session, path(streamUrl(server.url, ['room']))));
    await Promise.all(streams.map((stream) => stream.response));
    await waitForHub(hub, (h) => h.count('room') === 50);
    for (let i = 1; i <= 3; i++) await hub.publish('room', `message ${i}`);
    const received = await Promise.all(streams.map((stream) => stream.waitForEvents(3)));
    httpServer.off('session', onSession);
    expect(sessions.size).toBe(0); // all on the session opened before
    for (const events of received) {
      expect(events.map((event) => event.data)).toEqual(['message 1', 'message 2', 'message 3']);
    }
  });

  it('takes a client RST_STREAM for a client close: the stream is forgotten, the session and its other streams go on', async () => {
    const leaving = request(session, path(streamUrl(server.url, ['room'])));
    const staying = request(session, path(streamUrl(server.url, ['room'])));
    await Promise.all([leaving.response, staying.response]);
    await waitForHub(hub, (h) => h.count('room') === 2);
    const reason = nextDisconnect(hub);
    leaving.stream.close(http2.constants.NGHTTP2_CANCEL);
    expect(await reason).toBe('client-closed');
    expect(hub.count('room')).toBe(1);
    await hub.publish('room', 'still here');
    expect((await staying.waitForEvents(1))[0].data).toBe('still here');
    expect(session.closed).toBe(false);
  });

  it("applies backpressure through the stream's flow control: a stream that stops reading is cut past maxBufferedBytes, while another stream of the session gets every event", async () => {
    const fast = request(session, path(streamUrl(server.url, ['flood'])));
    const slow = request(session, path(streamUrl(server.url, ['flood'])));
    await Promise.all([fast.response, slow.response]);
    slow.stream.pause();
    await waitForHub(hub, (h) => h.count('flood') === 2);
    const before = hub.stats().slowClientDisconnects;
    const payload = 'x'.repeat(16 * 1024);
    let sent = 0;
    // Lock-step with the reading stream, bounded: fails rather than hangs if the slow one is never cut.
    while (hub.count('flood') === 2 && sent < 200) {
      await hub.publish('flood', `${++sent} ${payload}`);
      await fast.waitForEvents(sent);
    }
    expect(hub.count('flood')).toBe(1);
    expect(hub.stats().slowClientDisconnects).toBe(before + 1);
    // Cut within a few events of the limit: what the client's window and the stream's buffer hold, plus maxBufferedBytes.
    expect(sent).toBeLessThan(20);
    expect(fast.events).toHaveLength(sent);
    slow.stream.resume();
    await slow.closed;
  });
});

describe('Fastify over HTTP/2 at shutdown', () => {
  it('app.close() ends the streams of every session with their final word, closes the sessions (idle ones too) and returns', async () => {
    const server = await startH2c();
    const hub = server.app.get(SseHub);
    const busy = await connect(server.url);
    const idle = await connect(server.url);
    const streams = Array.from({ length: 3 }, () => request(busy, '/feed'));
    await Promise.all(streams.map((stream) => stream.response));
    await waitForHub(hub, (h) => h.count() === 3);
    const sessionsClosed = Promise.all([busy, idle].map((s) => new Promise((resolve) => s.once('close', resolve))));
    await server.close();
    await Promise.all(streams.map((stream) => stream.closed));
    await sessionsClosed;
    for (const stream of streams) {
      expect(stream.stream.rstCode).toBe(http2.constants.NGHTTP2_NO_ERROR);
      expect(stream.text).toMatch(/^retry: \d+\n\n/);
      expect(stream.events.at(-1)).toMatchObject({ event: 'sse-end', data: '{"reason":"shutdown"}' });
    }
    expect(hub.count()).toBe(0);
  });
});

describe('Fastify over HTTP/2, with connection headers an app set on the raw response', () => {
  it('drops them (HTTP/2 forbids them: Node would throw at the first write) and streams', async () => {
    const moduleRef = await Test.createTestingModule({
      imports: [SseModule.forRoot({ heartbeatMs: 0 })],
      controllers: [FeedController],
    }).compile();
    const app = await createTestApplication(moduleRef, { logger: false }, 'fastify-h2c');
    // What an HTTP/1.1-minded middleware does, on Node's own response.
    app.use((_request: unknown, response: { setHeader(name: string, value: string): void }, next: () => void) => {
      response.setHeader('Keep-Alive', 'timeout=5');
      response.setHeader('Transfer-Encoding', 'chunked');
      response.setHeader('Upgrade', 'h2c');
      next();
    });
    const server = await listen(app);
    const session = await connect(server.url);
    try {
      feed = new Subject<string>();
      const stream = request(session, '/feed');
      const head = await stream.response;
      expect(head[':status']).toBe(200);
      expect(head['keep-alive']).toBeUndefined();
      expect(head['transfer-encoding']).toBeUndefined();
      expect(head['upgrade']).toBeUndefined();
      await waitForHub(server.app.get(SseHub), (h) => h.count() === 1);
      feed.next('through');
      expect((await stream.waitForEvents(1)).map((event) => event.data)).toEqual(['through']);
    } finally {
      session.destroy();
      await server.close();
    }
  });
});

describe('Fastify over TLS: HTTP/2 through ALPN, HTTP/1.1 for clients without it', () => {
  const { key, cert } = createDevCertificate();
  let server: TestApp;
  let url: string;

  beforeAll(async () => {
    const moduleRef = await Test.createTestingModule({
      imports: [SseModule.forRoot({})],
      controllers: [FeedController],
    }).compile();
    const adapter = new FastifyAdapter({ http2: true, https: { key, cert, allowHTTP1: true } });
    const app = moduleRef.createNestApplication<NestFastifyApplication>(adapter, { logger: false });
    server = await listen(app);
    url = `https://127.0.0.1:${(app.getHttpServer().address() as AddressInfo).port}`;
  });
  beforeEach(() => {
    feed = new Subject<string>();
  });
  afterAll(() => server.close());

  it('negotiates h2 and streams without a Connection header', async () => {
    const session = await connect(url, { ca: cert });
    expect(session.alpnProtocol).toBe('h2');
    const stream = request(session, '/feed');
    const head = await stream.response;
    expect(head[':status']).toBe(200);
    expect(head['connection']).toBeUndefined();
    feed.next('secure');
    expect((await stream.waitForEvents(1))[0].data).toBe('secure');
    stream.stream.close(http2.constants.NGHTTP2_CANCEL);
    await stream.closed;
    session.close();
  });

  it('streams over HTTP/1.1 to a client that does not offer h2, with Connection: keep-alive', async () => {
    const response = await new Promise<import('node:http').IncomingMessage>((resolve, reject) => {
      const req = https.request(`${url}/feed`, { ca: cert, agent: false, headers: { connection: 'keep-alive' } });
      req.on('response', resolve).on('error', reject).end();
    });
    expect(response.httpVersion).toBe('1.1');
    expect(response.headers['content-type']).toBe('text/event-stream; charset=utf-8');
    expect(response.headers['connection']).toBe('keep-alive');
    response.setEncoding('utf8');
    let text = '';
    const got = new Promise<void>((resolve) =>
      response.on('data', (chunk: string) => {
        text += chunk;
        if (text.includes('data: plain old\n\n')) resolve();
      }),
    );
    feed.next('plain old');
    await got;
    response.destroy();
  });
});
