import { Controller, HttpCode, Post, Query, Req, UseGuards } from '@nestjs/common';
import { Test } from '@nestjs/testing';
import { merge, of } from 'rxjs';
import { EventSource } from 'eventsource';
import {
  EventStream,
  InMemorySseTicketStore,
  SseAuthGuard,
  SseClient,
  SseHub,
  SseModule,
  SseTickets,
  sseEvent,
  type SseModuleOptions,
} from '../../lib/index.js';
import {
  type OpenEventStreamOptions,
  type TestEventStream,
  openEventStream,
  waitForHub,
} from 'nestjs-event-stream/testing';
import { HeaderAuthGuard } from '../src/auth/header-auth.guard.js';
import { startApp, type TestApp } from '../utils/test-app.js';
import { TestEventSource } from '../utils/event-source-client.js';
import { CaptureLogger } from '../utils/capture-logger.js';

interface User {
  id: string;
  roles?: string[];
}

const USERS: Record<string, User> = {
  'tok-ada-5e2f': { id: 'ada', roles: ['reader'] },
  'tok-root-81c0': { id: 'root', roles: ['admin'] },
};
const ADA = { authorization: 'Bearer tok-ada-5e2f' };
const ROOT = { authorization: 'Bearer tok-root-81c0' };
const END_EVENT = 'stream-end';
const TICKET = /^[A-Za-z0-9_-]{43}$/;
const REFUSED_BODY = {
  statusCode: 401,
  error: 'Unauthorized',
  message:
    'The ticket is unknown, was already used or has expired: a ticket opens one stream, once. Ask for a new ticket and connect again.',
};

const verify = (token: string) => USERS[token] ?? null;
const canJoin = (user: unknown, channel: string) => channel !== 'secret' || !!(user as User).roles?.includes('admin');

@Controller('tickets')
class TicketsController {
  constructor(private readonly tickets: SseTickets) {}

  /** `?expiresInMs=`: the credential the ticket is issued from expires that soon (a short-lived token). */
  @UseGuards(HeaderAuthGuard)
  @Post()
  @HttpCode(201)
  async issue(@Req() request: { user: User }, @Query('expiresInMs') expiresInMs?: string) {
    const expiresAt = expiresInMs === undefined ? undefined : Date.now() + Number(expiresInMs);
    return { ticket: await this.tickets.issue(request.user, { expiresAt }) };
  }
}

@Controller()
@UseGuards(SseAuthGuard)
class StreamsController {
  constructor(private readonly hub: SseHub) {}

  /** Says who the stream belongs to (`request.user`), then stays open on `news`. */
  @EventStream('feed')
  feed(@SseClient() client: SseClient) {
    return merge(of(sseEvent({ event: 'hello', data: client.user })), this.hub.join(client, 'news'));
  }

  /** Admins only (canJoin). */
  @EventStream('secret')
  secret(@SseClient() client: SseClient) {
    return this.hub.join(client, 'secret');
  }

  @EventStream('feed', { method: 'POST' })
  postFeed(@SseClient() client: SseClient) {
    return of(sseEvent({ event: 'hello', data: client.user }));
  }
}

/** The in-memory store, counting what the guard asks of it: a real store, through the public seam. */
class CountingStore extends InMemorySseTicketStore {
  takes = 0;
  failing = false;
  override put(key: string, record: string, ttlMs: number): void {
    if (this.failing) throw new Error(`store down while storing ${key}`);
    super.put(key, record, ttlMs);
  }
  override take(key: string): string | undefined {
    this.takes++;
    if (this.failing) throw new Error(`store down while taking ${key}`);
    return super.take(key);
  }
}

/** Resolves once the clock has passed `at` (ms since the epoch): the clock the store expires tickets by. */
function clockPast(at: number): Promise<void> {
  return new Promise((resolve) => {
    const check = () => (Date.now() > at ? resolve() : setTimeout(check, Math.max(1, at - Date.now() + 1)));
    check();
  });
}

describe('SseAuthGuard with single-use tickets (in memory)', () => {
  let server: TestApp;
  let hub: SseHub;
  const store = new CountingStore();
  const logger = new CaptureLogger();
  /** Every ticket and token seen by this file: none may appear in a log line. */
  const secrets = new Set(Object.keys(USERS));
  const open: { close(): void }[] = [];

  const track = <T extends { close(): void }>(client: T): T => {
    open.push(client);
    return client;
  };
  const request = (path: string, options: OpenEventStreamOptions = {}) =>
    openEventStream(server.app, `${path}`, options);
  const stream = async (path: string, options: OpenEventStreamOptions = {}) => track(await request(path, options));
  const answer = async (path: string, options: OpenEventStreamOptions = {}) => {
    const response = await request(path, options);
    await response.ended;
    return response;
  };

  async function issue(headers: Record<string, string> = ADA, query = ''): Promise<string> {
    const response = await answer(`/tickets${query}`, { method: 'POST', headers });
    expect(response.status).toBe(201);
    const { ticket } = JSON.parse(response.text) as { ticket: string };
    secrets.add(ticket);
    return ticket;
  }

  const expectRefusedTicket = (response: TestEventStream) => {
    expect(response.status).toBe(401);
    expect(response.headers['content-type']).toMatch(/^application\/json/);
    expect(response.headers['www-authenticate']).toBe('Bearer error="invalid_token"');
    expect(JSON.parse(response.text)).toEqual(REFUSED_BODY);
  };

  beforeAll(async () => {
    server = await startApp(
      { controllers: [TicketsController, StreamsController], providers: [HeaderAuthGuard] },
      { retryMs: 50, endEventName: END_EVENT, auth: { verify, canJoin, tickets: { store } } },
      undefined,
      { logger },
    );
    hub = server.app.get(SseHub);
  });

  afterEach(async () => {
    store.failing = false;
    for (const client of open.splice(0)) client.close();
    await waitForHub(hub, (h) => h.count() === 0);
  });

  afterAll(async () => {
    await server.close();
    // Closing the app let the store go.
    expect(store.size).toBe(0);
    const lines = logger.entries.map((entry) => `${entry.context ?? ''} ${entry.message}`);
    // Refusals and the store failure were logged, so the check below is not vacuous...
    expect(lines.some((line) => line.includes('Refused an event stream with 401'))).toBe(true);
    expect(lines.some((line) => line.includes('The ticket store could not redeem a ticket'))).toBe(true);
    // ...and no ticket nor token appears in any of them.
    for (const secret of secrets) expect(lines.filter((line) => line.includes(secret))).toEqual([]);
  });

  it('issues a ticket (32 random bytes, base64url) to a request authenticated with a header, and to no other', async () => {
    const first = await issue();
    const second = await issue();
    expect(first).toMatch(TICKET);
    expect(second).not.toBe(first);
    expect((await answer('/tickets', { method: 'POST' })).status).toBe(401);
    expect((await answer('/tickets', { method: 'POST', headers: { authorization: 'Bearer nope' } })).status).toBe(401);
  });

  it('opens a stream for the user the ticket was issued to, with the eventsource client, as a verified token would', async () => {
    const ticket = await issue();
    const client = track(new TestEventSource(`${server.url}/feed?ticket=${ticket}`, { types: ['hello'] }));
    const [hello] = await client.waitForEvents(1);
    expect(JSON.parse(hello.data)).toEqual(USERS['tok-ada-5e2f']);
    await waitForHub(hub, (h) => h.count('news') === 1);
    expect(hub.connections({ userId: 'ada' })).toHaveLength(1);
    await hub.publish('news', 'live');
    expect((await client.waitForEvents(2))[1]).toMatchObject({ type: 'message', data: 'live' });
  });

  it('refuses a second use of a ticket with 401 saying it was used or expired, never a 500', async () => {
    const ticket = await issue();
    const first = await stream(`/feed?ticket=${ticket}`);
    expect(first.status).toBe(200);
    const again = await answer(`/feed?ticket=${ticket}`);
    expectRefusedTicket(again);
    expect(again.text).not.toContain(ticket);
  });

  it("refuses the eventsource client's own reconnect with the used ticket, which then stops for good", async () => {
    const ticket = await issue();
    const client = track(new TestEventSource(`${server.url}/feed?ticket=${ticket}`, { types: ['hello'] }));
    await client.waitForEvents(1);
    // The server ends the stream: the client reconnects by itself, with the same URL and so the same ticket.
    await hub.disconnect((connection) => (connection.user as User | undefined)?.id === 'ada');
    await client.waitFor((c) => c.source.readyState === EventSource.CLOSED, 'the client to give up');
    expect(client.opens).toBe(1);
    expect(client.errors.at(-1)).toMatchObject({ code: 401 });
    // A new ticket opens a new stream: what a page does next.
    const fresh = track(new TestEventSource(`${server.url}/feed?ticket=${await issue()}`, { types: ['hello'] }));
    expect(JSON.parse((await fresh.waitForEvents(1))[0].data)).toEqual(USERS['tok-ada-5e2f']);
  });

  it('refuses an unknown ticket with the same 401', async () => {
    const takes = store.takes;
    expectRefusedTicket(await answer(`/feed?ticket=${'A'.repeat(43)}`));
    expect(store.takes).toBe(takes + 1);
  });

  it.each([
    ['too short', 'abc'],
    ['one character too long', `${'A'.repeat(44)}`],
    ['overlong (10 000 characters)', 'A'.repeat(10_000)],
    ['not base64url', `${'A'.repeat(42)}+`],
    ['with a space', `${'A'.repeat(21)}%20${'A'.repeat(21)}`],
    ['empty', ''],
  ])('refuses a malformed ticket (%s) with 401, without asking the store', async (_what, ticket) => {
    const takes = store.takes;
    expectRefusedTicket(await answer(`/feed?ticket=${ticket}`));
    expect(store.takes).toBe(takes);
  });

  it('never lets a ticket authenticate a POST: 401 naming the ignored parameter, and the ticket is not used up', async () => {
    const ticket = await issue();
    const takes = store.takes;
    const posted = await answer(`/feed?ticket=${ticket}`, { method: 'POST' });
    expect(posted.status).toBe(401);
    expect(JSON.parse(posted.text).message).toContain('The token in query:ticket was ignored: a POST event stream');
    expect(store.takes).toBe(takes);
    // The same request with a header is the header's: the ticket is not touched.
    const withHeader = await stream(`/feed?ticket=${ticket}`, { method: 'POST', headers: ADA });
    expect(withHeader.status).toBe(200);
    expect(store.takes).toBe(takes);
    expect((await stream(`/feed?ticket=${ticket}`)).status).toBe(200);
  });

  it('redeems a ticket on HEAD, like a GET: a HEAD uses it up', async () => {
    const ticket = await issue();
    const head = await answer(`/feed?ticket=${ticket}`, { method: 'HEAD' });
    expect(head.status).toBe(200);
    expectRefusedTicket(await answer(`/feed?ticket=${ticket}`));
  });

  it('still applies canJoin to the user of a ticket: 403 for a channel they may not join', async () => {
    const refused = await answer(`/secret?ticket=${await issue(ADA)}`);
    expect(refused.status).toBe(403);
    const allowed = await stream(`/secret?ticket=${await issue(ROOT)}`);
    expect(allowed.status).toBe(200);
  });

  it("ends the stream at the expiry of the credential the ticket was issued from, with the options' final event", async () => {
    const ticket = await issue(ADA, '?expiresInMs=400');
    const opened = await stream(`/feed?ticket=${ticket}`);
    expect(opened.status).toBe(200);
    await opened.ended;
    const last = opened.events.at(-1)!;
    expect(last.type).toBe(END_EVENT);
    expect(JSON.parse(last.data)).toMatchObject({ reason: 'auth-expired', expiredAt: expect.any(String) });
  });

  it('refuses a ticket once the credential it was issued from has expired, and issues none from an expired one', async () => {
    const ticket = await issue(ADA, '?expiresInMs=60');
    const issuedAt = Date.now();
    await clockPast(issuedAt + 60);
    expectRefusedTicket(await answer(`/feed?ticket=${ticket}`));
    const expired = await answer('/tickets?expiresInMs=-1', { method: 'POST', headers: ADA });
    expect(expired.status).toBe(401);
    expect(JSON.parse(expired.text).message).toBe(
      'The credential has expired: no ticket is issued for it. Sign in again.',
    );
  });

  it('answers 503 with a generic body when the store fails, and logs why without the ticket', async () => {
    const ticket = await issue();
    store.failing = true;
    const failed = await answer(`/feed?ticket=${ticket}`);
    expect(failed.status).toBe(503);
    expect(JSON.parse(failed.text)).toEqual({
      statusCode: 503,
      error: 'Service Unavailable',
      message: 'Service temporarily unavailable. Ask for a new ticket and retry shortly.',
    });
    const issued = await answer('/tickets', { method: 'POST', headers: ADA });
    expect(issued.status).toBe(503);
    expect(logger.messages('warn', 'The ticket store could not redeem a ticket')).toHaveLength(1);
    expect(logger.messages('warn', 'The ticket store could not store a ticket')).toHaveLength(1);
  });

  describe('SseTickets.issue()', () => {
    let tickets: SseTickets;
    beforeAll(() => {
      tickets = server.app.get(SseTickets);
    });

    it('refuses a user that is not JSON-serialisable, saying what to pass instead', async () => {
      const cyclic: Record<string, unknown> = { id: 'c' };
      cyclic.self = cyclic;
      for (const user of [cyclic, { id: 1n }, () => 'user', Symbol('user'), Infinity]) {
        const error = await tickets.issue(user).catch((caught: unknown) => caught);
        expect(error).toBeInstanceOf(TypeError);
        expect((error as Error).message).toContain('the user must be JSON-serialisable');
        expect((error as Error).message).toContain('Pass a plain object such as { id, roles }');
      }
      await expect(tickets.issue(undefined)).rejects.toThrow('SseTickets.issue() needs the user');
      await expect(tickets.issue({ id: 'x', blob: 'x'.repeat(9000) })).rejects.toThrow(
        'more than the 8192 a ticket holds',
      );
      await expect(tickets.issue({ id: 'x' }, { expiresAt: Number.NaN })).rejects.toThrow('expiresAt must be');
    });

    it('gives the user back as JSON does, and holds the stream to the user’s JWT exp when no expiresAt is given', async () => {
      const exp = Math.floor(Date.now() / 1000) + 2;
      const ticket = await tickets.issue({ id: 'jwt-user', sub: 'jwt-user', exp, at: new Date(0) });
      secrets.add(ticket);
      const opened = await stream(`/feed?ticket=${ticket}`);
      expect(opened.status).toBe(200);
      const [hello] = await opened.waitForEvents(1);
      expect(JSON.parse(hello.data)).toEqual({ id: 'jwt-user', sub: 'jwt-user', exp, at: '1970-01-01T00:00:00.000Z' });
      await opened.ended;
      expect(opened.events.at(-1)).toMatchObject({ type: END_EVENT });
      expect(JSON.parse(opened.events.at(-1)!.data)).toMatchObject({ reason: 'auth-expired' });
    });

    it('keeps the in-memory store bounded: 100 000 tickets issued into a store of 1 000 leave at most 1 000', async () => {
      const bounded = new InMemorySseTicketStore({ maxTickets: 1000 });
      const moduleRef = await Test.createTestingModule({
        imports: [SseModule.forRoot({ auth: { verify, tickets: { store: bounded } } })],
      }).compile();
      const issuer = moduleRef.get(SseTickets);
      let last = '';
      for (let i = 0; i < 100_000; i++) last = await issuer.issue({ id: `u${i % 100}` });
      expect(bounded.size).toBeLessThanOrEqual(1000);
      // The newest is kept, the oldest let go of.
      expect(await issuer.redeem(last)).toEqual({ user: { id: 'u99' } });
      await moduleRef.close();
      expect(bounded.size).toBe(0);
    });
  });
});

describe('auth.tickets options', () => {
  const boot = (options: SseModuleOptions) =>
    Test.createTestingModule({ imports: [SseModule.forRoot(options)] })
      .compile()
      .then((moduleRef) => moduleRef.close());

  it.each([
    [{ ttlMs: 0 }, 'option "auth.tickets.ttlMs" must be an integer from 1 to 300000, got number 0.'],
    [{ ttlMs: 300_001 }, 'option "auth.tickets.ttlMs" must be an integer from 1 to 300000, got number 300001.'],
    [{ query: 'has space' }, 'option "auth.tickets.query" must be a query parameter name'],
    [{ query: 'token' }, 'option "auth.tickets.query" is "token", which auth.from also reads a token from'],
    [{ store: {} }, 'option "auth.tickets.store" must be an SseTicketStore (an object with put() and take())'],
  ])('fails startup for auth.tickets %j, naming the option', async (tickets, message) => {
    const options = { auth: { verify, from: ['header', 'query:token'], tickets } } as SseModuleOptions;
    await expect(boot(options)).rejects.toThrow(message);
  });

  it('says how to turn tickets on when SseTickets.issue() is called without them', async () => {
    const moduleRef = await Test.createTestingModule({ imports: [SseModule.forRoot({ auth: { verify } })] }).compile();
    await expect(moduleRef.get(SseTickets).issue({ id: 'x' })).rejects.toThrow(
      'SseTickets.issue() needs stream tickets, which are off. Set auth.tickets',
    );
    await moduleRef.close();
  });
});

describe('SseAuthGuard with tickets and no token verifier', () => {
  let server: TestApp;
  beforeAll(async () => {
    server = await startApp({ controllers: [StreamsController] }, { auth: { tickets: { ttlMs: 10_000 } } });
  });
  afterAll(() => server.close());

  it('accepts tickets only, and says so when a stream has none', async () => {
    const missing = await openEventStream(server.app, `/feed`, { headers: ADA });
    await missing.ended;
    expect(missing.status).toBe(401);
    expect(missing.headers['www-authenticate']).toBe('Bearer');
    expect(JSON.parse(missing.text).message).toBe(
      'A ticket is required to open this event stream: ask for one and send it as the ticket query parameter.',
    );
    const ticket = await server.app.get(SseTickets).issue({ id: 'solo' });
    const opened = await openEventStream(server.app, `/feed?ticket=${ticket}`);
    expect(opened.status).toBe(200);
    expect(JSON.parse((await opened.waitForEvents(1))[0].data)).toEqual({ id: 'solo' });
    opened.close();
    await waitForHub(server.app.get(SseHub), (h) => h.count() === 0);
  });
});
