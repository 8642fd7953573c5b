import { Body, Controller, Headers, Param, Post } from '@nestjs/common';
import { Redis } from 'ioredis';
import { NEVER } from 'rxjs';
import { type TestEventStream, openEventStream, waitForHub } from 'nestjs-event-stream/testing';
import { EventStream, SseClient, SseHub, sseEvent } from '../../lib/index.js';
import { RedisSseBroker, type RedisSseBrokerOptions } from 'nestjs-event-stream/redis';
import { CaptureLogger } from '../utils/capture-logger.js';
import { randomPrefix, RedisServer } from '../utils/redis.js';
import { startApp, type TestApp } from '../utils/test-app.js';

@Controller()
class OrdersController {
  constructor(private readonly hub: SseHub) {}

  @EventStream('events/:channel')
  events(@Param('channel') channel: string, @SseClient() client: SseClient) {
    return this.hub.join(client, channel);
  }

  /** A stream outside the hub: it needs no Redis, only a slot. */
  @EventStream('plain')
  plain() {
    return NEVER;
  }

  @Post('publish/:channel')
  async publish(
    @Param('channel') channel: string,
    @Body() body: { text: string },
    @Headers('idempotency-key') idempotencyKey?: string,
  ) {
    return {
      id: await this.hub.publish(channel, sseEvent({ event: 'message', data: body.text }), { idempotencyKey }),
    };
  }
}

interface Answer {
  status: number;
  body: Record<string, unknown>;
}

/** Polls `probe` (a state that nothing announces to the test) every 20 ms until `ok` holds. */
async function eventually<T>(probe: () => Promise<T>, ok: (value: T) => boolean, what: string): Promise<T> {
  const deadline = Date.now() + 10_000;
  for (;;) {
    const value = await probe();
    if (ok(value)) return value;
    if (Date.now() > deadline) throw new Error(`timed out waiting for ${what}; last: ${JSON.stringify(value)}`);
    await new Promise((resolve) => setTimeout(resolve, 20));
  }
}

/**
 * An app on a private Redis that stalls (`CLIENT PAUSE ... ALL`: the server
 * is killed after the test, since a pause cannot be lifted from a paused
 * connection) or goes away: what HTTP clients are told.
 */
describe('SseHub on RedisSseBroker while Redis stalls or is gone', () => {
  const prefix = randomPrefix('redis-hub-unavailable');
  let namespaces = 0;
  let server: RedisServer;
  const apps: TestApp[] = [];
  const streams: TestEventStream[] = [];
  const clients: Redis[] = [];
  const logs = new CaptureLogger();

  beforeAll(async () => {
    server = await RedisServer.start();
  });

  afterEach(async () => {
    streams.splice(0).forEach((stream) => stream.close());
    await server.stop();
    await Promise.all(apps.splice(0).map((app) => app.close()));
    clients.splice(0).forEach((client) => client.disconnect());
    logs.clear();
    await server.start();
  });

  afterAll(() => server.stop());

  async function start(options: Partial<RedisSseBrokerOptions> = {}) {
    const broker = new RedisSseBroker({
      url: server.url,
      keyPrefix: `${prefix}${++namespaces}:`,
      commandTimeoutMs: 300,
      redisOptions: { retryStrategy: () => 50 },
      ...options,
    });
    const app = await startApp(
      { controllers: [OrdersController] },
      { broker, heartbeatMs: 60_000, maxConnections: 1 },
      (nest) => nest.useLogger(logs),
    );
    apps.push(app);
    return { ...app, broker, hub: app.app.get(SseHub) };
  }

  async function stream(url: string, headers: Record<string, string> = {}): Promise<TestEventStream> {
    const opened = await openEventStream(url, '', { headers });
    streams.push(opened);
    return opened;
  }

  async function post(url: string, text: string, headers: Record<string, string> = {}): Promise<Answer> {
    const response = await fetch(url, {
      method: 'POST',
      headers: { 'content-type': 'application/json', ...headers },
      body: JSON.stringify({ text }),
    });
    return { status: response.status, body: (await response.json()) as Record<string, unknown> };
  }

  /** Pauses every client of the server (this one too) for `ms`. */
  async function pause(ms: number): Promise<void> {
    const admin = new Redis(server.url);
    clients.push(admin);
    await admin.call('CLIENT', 'PAUSE', String(ms), 'ALL');
  }

  it('answers 503 to a stream that must subscribe a new channel while a connected Redis stalls, and frees its slot', async () => {
    const { url, hub } = await start();
    await pause(30_000);
    const refused = await stream(`${url}/events/fresh`);
    expect(refused.status).toBe(503);
    await refused.ended;
    await waitForHub(hub, (h) => h.count() === 0);
    // The app allows one stream: the refused one gave its slot back.
    const plain = await stream(`${url}/plain`);
    expect(plain.status).toBe(200);
  });

  it('stores a POST retried with the same idempotency key once, though Redis did not answer the first in time', async () => {
    const { url } = await start();
    const orders = await stream(`${url}/events/orders`);
    expect(orders.status).toBe(200);
    await pause(1500);
    const key = { 'idempotency-key': 'order-1' };
    const first = await post(`${url}/publish/orders`, 'order 1', key);
    expect(first.status).toBe(503);
    expect(first.body.message).toMatch(/the event may have been published/);
    // Retries time out too while Redis stalls, and run once it answers: the first stores the event, the others find its key.
    const accepted = await eventually(
      () => post(`${url}/publish/orders`, 'order 1', key),
      (answer) => answer.status === 201,
      'a retry to be accepted',
    );
    const after = await post(`${url}/publish/orders`, 'after');
    await orders.waitForText((text) => text.includes(`id: ${after.body.id as string}\n`));
    expect(orders.events.map((e) => [e.id, e.data])).toEqual([
      [accepted.body.id, 'order 1'],
      [after.body.id, 'after'],
    ]);
  });

  it('answers 503 without the address of Redis or the error of the OS, which go to the log once', async () => {
    const { url } = await start();
    const feed = await stream(`${url}/events/feed`);
    expect(feed.status).toBe(200);
    await server.stop();
    const publishes: Answer[] = [
      await eventually(
        () => post(`${url}/publish/feed`, 'while down'),
        (answer) => answer.status === 503,
        'publish to be refused',
      ),
    ];
    expect(JSON.stringify(publishes[0].body)).not.toContain('127.0.0.1');
    // The reconnection attempts fail with ECONNREFUSED: once a refused request has logged it, the detail is known.
    await eventually(
      async () => {
        publishes.push(await post(`${url}/publish/feed`, 'while down'));
        return logs.entries.filter((e) => e.message.includes('ECONNREFUSED')).length;
      },
      (n) => n > 0,
      'the refusal to be logged',
    );
    feed.close();
    await waitForHub(apps[0].app.get(SseHub), (h) => h.count() === 0);
    const refusedStream = await stream(`${url}/events/other`);
    await refusedStream.ended;
    expect(refusedStream.status).toBe(503);
    const bodies = [
      ...publishes.map((answer) => answer.body),
      JSON.parse(refusedStream.text) as Record<string, unknown>,
    ];
    expect(publishes.every((answer) => answer.status === 503)).toBe(true);
    for (const body of bodies) {
      const text = JSON.stringify(body);
      expect(text).not.toContain(String(server.port));
      expect(text).not.toContain('127.0.0.1');
      expect(text).not.toContain('ECONNREFUSED');
      expect(body).toEqual({
        statusCode: 503,
        error: 'Service Unavailable',
        message: expect.stringMatching(/^Service temporarily unavailable\b.*Retry in \d+ seconds?\.$/),
        retryAfterSeconds: expect.any(Number),
      });
    }
    const detailed = logs.entries.filter((e) => e.message.includes('ECONNREFUSED'));
    expect(detailed).toHaveLength(1);
    expect(detailed[0]).toMatchObject({ level: 'warn', context: 'RedisSseBroker' });
    expect(detailed[0].message).toContain(`127.0.0.1:${server.port}`);
  });
});
