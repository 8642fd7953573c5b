import { Controller, HttpCode, Post, Query, Req, UseGuards } from '@nestjs/common';
import { createHash } from 'node:crypto';
import { Redis } from 'ioredis';
import { merge, of } from 'rxjs';
import {
  type OpenEventStreamOptions,
  type TestEventStream,
  openEventStream,
  waitForHub,
} from 'nestjs-event-stream/testing';
import { EventStream, SseAuthGuard, SseClient, SseHub, SseTickets, sseEvent } from '../../lib/index.js';
import { RedisSseBroker, RedisSseTicketStore } from '../../lib/brokers/redis/index.js';
import { startApp, type TestApp } from '../utils/test-app.js';
import { TestEventSource } from '../utils/event-source-client.js';
import { CaptureLogger } from '../utils/capture-logger.js';
import { deleteKeys, randomPrefix, RedisServer, REDIS_URL } from '../utils/redis.js';
import { HeaderAuthGuard } from '../src/auth/header-auth.guard.js';

interface User {
  id: string;
}

const USERS: Record<string, User> = { 'tok-ada-4b19': { id: 'ada' } };
const ADA = { authorization: 'Bearer tok-ada-4b19' };
const END_EVENT = 'stream-end';
const verify = (token: string) => USERS[token] ?? null;

@Controller()
class TicketsController {
  constructor(
    private readonly tickets: SseTickets,
    private readonly hub: SseHub,
  ) {}

  @UseGuards(HeaderAuthGuard)
  @Post('tickets')
  @HttpCode(201)
  async issue(@Req() request: { user: User }, @Query('expiresInMs') expiresInMs?: string) {
    const expiresAt = expiresInMs === undefined ? undefined : Date.now() + Number(expiresInMs);
    return { ticket: await this.tickets.issue(request.user, { expiresAt }) };
  }

  @UseGuards(SseAuthGuard)
  @EventStream('feed')
  feed(@SseClient() client: SseClient) {
    return merge(of(sseEvent({ event: 'hello', data: client.user })), this.hub.join(client, 'news'));
  }

  @UseGuards(SseAuthGuard)
  @EventStream('feed', { method: 'POST' })
  postFeed(@SseClient() client: SseClient) {
    return of(sseEvent({ event: 'hello', data: client.user }));
  }
}

/** The Redis key of a ticket: what the store holds instead of the ticket. */
const keyOf = (prefix: string, ticket: string) =>
  `${prefix}ticket:${createHash('sha256').update(ticket).digest('base64url')}`;

/** Polls `check` (a Redis read) until it holds, for at most `ms`. */
async function until(check: () => Promise<boolean>, ms = 5000): Promise<void> {
  const deadline = Date.now() + ms;
  while (!(await check())) {
    if (Date.now() > deadline) throw new Error(`not so within ${ms} ms`);
    await new Promise((resolve) => setTimeout(resolve, 10));
  }
}

function startInstance(store: RedisSseTicketStore, logger: CaptureLogger | false = false, broker?: RedisSseBroker) {
  return startApp(
    { controllers: [TicketsController], providers: [HeaderAuthGuard] },
    { broker, retryMs: 50, endEventName: END_EVENT, auth: { verify, tickets: { store, ttlMs: 10_000 } } },
    undefined,
    { logger },
  );
}

describe('single-use tickets on Redis, across instances', () => {
  const prefix = randomPrefix('tickets');
  const redis = new Redis(REDIS_URL);
  const logger = new CaptureLogger();
  const secrets = new Set(Object.keys(USERS));
  const open: { close(): void }[] = [];
  let a: TestApp;
  let b: TestApp;

  const track = <T extends { close(): void }>(client: T): T => {
    open.push(client);
    return client;
  };
  const answer = async (url: string, options: OpenEventStreamOptions = {}): Promise<TestEventStream> => {
    const response = track(await openEventStream(url, '', options));
    if (response.status !== 200) await response.ended;
    return response;
  };
  async function issue(on: TestApp, query = ''): Promise<string> {
    const response = await answer(`${on.url}/tickets${query}`, { method: 'POST', headers: ADA });
    expect(response.status).toBe(201);
    const { ticket } = JSON.parse(response.text) as { ticket: string };
    secrets.add(ticket);
    return ticket;
  }
  const expectRefused = (response: TestEventStream) => {
    expect(response.status).toBe(401);
    expect(response.headers['www-authenticate']).toBe('Bearer error="invalid_token"');
    expect(JSON.parse(response.text).message).toMatch(/^The ticket is unknown, was already used or has expired/);
  };

  beforeAll(async () => {
    // A on the app's RedisSseBroker (tickets share its connection), B with a connection of its own.
    const broker = new RedisSseBroker({ url: REDIS_URL, keyPrefix: prefix });
    a = await startInstance(new RedisSseTicketStore({ broker }), logger, broker);
    b = await startInstance(new RedisSseTicketStore({ url: REDIS_URL, keyPrefix: prefix }), logger);
  });

  afterEach(async () => {
    for (const client of open.splice(0)) client.close();
    await Promise.all([a, b].map((app) => waitForHub(app.app.get(SseHub), (h) => h.count() === 0)));
  });

  afterAll(async () => {
    await Promise.all([a?.close(), b?.close()]);
    await deleteKeys(REDIS_URL, prefix);
    await redis.quit();
    const lines = logger.entries.map((entry) => entry.message);
    expect(lines.some((line) => line.includes('Refused an event stream with 401'))).toBe(true);
    for (const secret of secrets) expect(lines.filter((line) => line.includes(secret))).toEqual([]);
  });

  it('redeems on B a ticket issued on A, once; Redis holds its digest with a TTL, never the ticket', async () => {
    const ticket = await issue(a);
    const key = keyOf(prefix, ticket);
    expect(await redis.exists(key)).toBe(1);
    const ttl = await redis.pttl(key);
    expect(ttl).toBeGreaterThan(0);
    expect(ttl).toBeLessThanOrEqual(10_000);
    const keys = await redis.keys(`${prefix}*`);
    expect(keys.filter((name) => name.includes(ticket))).toEqual([]);
    expect(JSON.parse((await redis.get(key))!)).toEqual({ user: { id: 'ada' } });

    const client = track(new TestEventSource(`${b.url}/feed?ticket=${ticket}`, { types: ['hello'] }));
    expect(JSON.parse((await client.waitForEvents(1))[0].data)).toEqual({ id: 'ada' });
    expect(await redis.exists(key)).toBe(0);
    expectRefused(await answer(`${a.url}/feed?ticket=${ticket}`));
    expectRefused(await answer(`${b.url}/feed?ticket=${ticket}`));
  });

  it('lets exactly one of 20 concurrent redeems of one ticket, on both instances, open a stream', async () => {
    const ticket = await issue(b);
    const answers = await Promise.all(
      Array.from({ length: 20 }, (_, i) => answer(`${i % 2 === 0 ? a.url : b.url}/feed?ticket=${ticket}`)),
    );
    const statuses = answers.map((response) => response.status).sort();
    expect(statuses).toEqual([200, ...Array<number>(19).fill(401)]);
    for (const refused of answers.filter((response) => response.status === 401)) expectRefused(refused);
  });

  it('refuses a ticket once Redis has expired it', async () => {
    const ticket = await issue(a, '?expiresInMs=80');
    const key = keyOf(prefix, ticket);
    expect(await redis.pttl(key)).toBeLessThanOrEqual(80);
    await until(async () => (await redis.exists(key)) === 0);
    expectRefused(await answer(`${b.url}/feed?ticket=${ticket}`));
  });

  it('never redeems a ticket on a POST: 401, and the ticket stays in Redis', async () => {
    const ticket = await issue(a);
    const posted = await answer(`${b.url}/feed?ticket=${ticket}`, { method: 'POST' });
    expect(posted.status).toBe(401);
    expect(await redis.exists(keyOf(prefix, ticket))).toBe(1);
    expect((await answer(`${b.url}/feed?ticket=${ticket}`)).status).toBe(200);
  });

  it('ends a stream opened on B at the expiry of the credential the ticket was issued from on A', async () => {
    const ticket = await issue(a, '?expiresInMs=400');
    const opened = await answer(`${b.url}/feed?ticket=${ticket}`);
    expect(opened.status).toBe(200);
    await opened.ended;
    expect(opened.events.at(-1)).toMatchObject({ type: END_EVENT });
    expect(JSON.parse(opened.events.at(-1)!.data)).toMatchObject({ reason: 'auth-expired' });
  });
});

describe('RedisSseTicketStore', () => {
  const prefix = randomPrefix('ticket-store');
  const redis = new Redis(REDIS_URL);
  afterAll(async () => {
    await deleteKeys(REDIS_URL, prefix);
    await redis.quit();
  });

  it('runs on an ioredis client it is given (which it never quits), taking each record once', async () => {
    const store = new RedisSseTicketStore({ client: redis, keyPrefix: prefix });
    const key = 'K'.repeat(43);
    await store.put(key, '{"user":{"id":"x"}}', 5000);
    expect(await redis.get(`${prefix}ticket:${key}`)).toBe('{"user":{"id":"x"}}');
    const takes = await Promise.all([store.take(key), store.take(key), store.take(key)]);
    expect(takes.sort()).toEqual(['{"user":{"id":"x"}}', undefined, undefined]);
    await store.close();
    expect(redis.status).toBe('ready');
  });

  it('closed while its first connection is on its way (a put in flight), it leaves no connection behind', async () => {
    const name = `${prefix}closing-store`;
    const store = new RedisSseTicketStore({
      url: REDIS_URL,
      keyPrefix: prefix,
      redisOptions: { connectionName: name },
    });
    const put = store.put('K'.repeat(43), '{}', 5000);
    await store.close();
    await expect(put).rejects.toThrow();
    const clients = async () =>
      String(await redis.call('CLIENT', 'LIST'))
        .split('\n')
        .filter((line) => line.includes(`name=${name}`));
    // The server may see the socket go a moment after the client dropped it: a bounded poll, not a sleep.
    for (let i = 0; i < 100 && (await clients()).length > 0; i++)
      await new Promise((resolve) => setTimeout(resolve, 20));
    expect(await clients()).toEqual([]);
  });

  it('refuses keys, records and TTLs out of bounds before sending anything, and more than one connection source', async () => {
    const store = new RedisSseTicketStore({ client: redis, keyPrefix: prefix });
    await expect(store.put('has space', '{}', 1000)).rejects.toThrow(TypeError);
    await expect(store.take('K'.repeat(129))).rejects.toThrow('a key is 1 to 128 of [A-Za-z0-9_-]');
    await expect(store.put('K', 'x'.repeat(8193), 1000)).rejects.toThrow('a record is a string of at most 8192 bytes');
    await expect(store.put('K', '{}', 0)).rejects.toThrow('ttlMs is an integer from 1 to 86400000');
    expect(await redis.exists(`${prefix}ticket:K`)).toBe(0);
    expect(() => new RedisSseTicketStore({ client: redis, url: REDIS_URL })).toThrow(
      'RedisSseTicketStore takes one of `broker`',
    );
    expect(() => new RedisSseTicketStore({ keyPrefix: 'bad prefix' })).toThrow('RedisSseTicketStore keyPrefix');
  });
});

describe('single-use tickets while Redis is down', () => {
  let server: RedisServer;
  let app: TestApp;
  const logger = new CaptureLogger();
  const secrets = new Set(Object.keys(USERS));

  const call = async (path: string, options: OpenEventStreamOptions = {}) => {
    const response = await openEventStream(app.app, `${path}`, options);
    if (response.status !== 200) await response.ended;
    else response.close();
    return response;
  };
  const issue = async () => {
    const response = await call('/tickets', { method: 'POST', headers: ADA });
    if (response.status !== 201) return { status: response.status, body: JSON.parse(response.text) as unknown };
    const { ticket } = JSON.parse(response.text) as { ticket: string };
    secrets.add(ticket);
    return { status: 201, ticket };
  };

  beforeAll(async () => {
    server = await RedisServer.start();
    const store = new RedisSseTicketStore({
      url: server.url,
      keyPrefix: randomPrefix('tickets-down'),
      commandTimeoutMs: 500,
    });
    app = await startInstance(store, logger);
  });

  afterAll(async () => {
    await app?.close();
    await server?.stop();
    const lines = logger.entries.map((entry) => entry.message);
    for (const secret of secrets) expect(lines.filter((line) => line.includes(secret))).toEqual([]);
  });

  it('answers 503 with a generic body (no address, no error) to redeems and issues, and works again once Redis is back', async () => {
    const { ticket } = await issue();
    expect(ticket).toBeDefined();
    await server.stop();

    const redeem = await call(`/feed?ticket=${ticket}`);
    expect(redeem.status).toBe(503);
    expect(JSON.parse(redeem.text)).toEqual({
      statusCode: 503,
      error: 'Service Unavailable',
      message: 'Service temporarily unavailable. Retry in 1 second.',
      retryAfterSeconds: 1,
    });
    expect(redeem.text).not.toContain(String(server.port));
    const issued = await issue();
    expect(issued.status).toBe(503);
    // The details are in the log, once for the outage.
    const warnings = logger.messages('warn', 'RedisSseTicketStore: Redis at');
    expect(warnings).toHaveLength(1);
    expect(warnings[0]).toContain(`127.0.0.1:${server.port}`);

    await server.start();
    await until(async () => (await issue()).status === 201, 10_000);
    const back = await issue();
    const opened = await call(`/feed?ticket=${back.ticket}`);
    expect(opened.status).toBe(200);
    await logger.waitFor('log', 'RedisSseTicketStore: Redis at');
  });
});
