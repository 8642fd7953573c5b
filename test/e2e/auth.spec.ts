import { Controller, Get, Param, UseGuards } from '@nestjs/common';
import { merge, of } from 'rxjs';
import type { FetchLike } from 'eventsource';
import { Test } from '@nestjs/testing';
import { type TestEventStream, openEventStream, waitForHub } from 'nestjs-event-stream/testing';
import { EventStream, SseAuthGuard, SseClient, SseHub, SseModule, sseEvent, type SseRequest } from '../../lib/index.js';
import { listen, startApp, type TestApp } from '../utils/test-app.js';
import { TestEventSource } from '../utils/event-source-client.js';
import { CaptureLogger } from '../utils/capture-logger.js';

interface User {
  id: string;
  role?: string;
}

const USERS: Record<string, User> = {
  'tok-alice-5d1c': { id: 'alice' },
  'tok-bob-77ae': { id: 'bob' },
  'tok-admin-0f3b': { id: 'admin', role: 'admin' },
};
/** A token whose verifier throws with the token in its message (it must not reach the logs). */
const THROWING_TOKEN = 'tok-throws-9a41';
/** A token valid for 300 ms from each verification. */
const SHORT_TOKEN = 'tok-short-31c8';
/** Every secret used in this file: none may appear in a log line. */
const SECRETS = [...Object.keys(USERS), THROWING_TOKEN, SHORT_TOKEN];

const verified: string[] = [];

async function verify(token: string, _request: SseRequest) {
  verified.push(token);
  if (token === THROWING_TOKEN) throw new Error(`user store unavailable while looking up ${token}`);
  if (token === SHORT_TOKEN) return { user: { id: 'carol' }, expiresAt: Date.now() + 300 };
  return USERS[token] ?? null;
}

function canJoin(user: unknown, channel: string): boolean {
  if (channel === 'room:boom') throw new Error('authorizer exploded');
  if (channel === 'room:maybe') return 'yes' as unknown as boolean; // not `true`: denied
  return channel !== 'room:secret' || (user as User).role === 'admin';
}

@Controller()
@UseGuards(SseAuthGuard)
class FeedController {
  constructor(private readonly hub: SseHub) {}

  @EventStream('feed')
  feed(@SseClient() client: SseClient) {
    return merge(of(sseEvent({ event: 'hello', data: client.user })), this.hub.join(client, 'news'));
  }

  @EventStream('feed/:token')
  feedByPath(@SseClient() client: SseClient) {
    return of(sseEvent({ event: 'hello', data: client.user }));
  }

  @EventStream('rooms/:room')
  room(@Param('room') room: string, @SseClient() client: SseClient) {
    return merge(of(sseEvent({ event: 'hello', data: client.user })), this.hub.join(client, [`room:${room}`]));
  }

  @Get('ping')
  ping() {
    return { pong: true };
  }
}

/** An `eventsource` fetch that adds `Authorization: Bearer <token>` on every (re)connect. */
function bearer(token: () => string): FetchLike {
  return (url, init) =>
    fetch(url, {
      ...init,
      headers: { ...(init?.headers as Record<string, string>), Authorization: `Bearer ${token()}` },
    });
}

describe('SseAuthGuard (stream auth)', () => {
  let server: TestApp;
  let hub: SseHub;
  const logger = new CaptureLogger();
  const open: { close(): void }[] = [];

  const track = <T extends { close(): void }>(client: T): T => {
    open.push(client);
    return client;
  };
  const raw = async (path: string, headers: Record<string, string> = {}): Promise<TestEventStream> =>
    track(await openEventStream(server.app, `${path}`, { headers }));
  const source = (path: string, options: ConstructorParameters<typeof TestEventSource>[1] = {}) =>
    track(new TestEventSource(`${server.url}${path}`, { types: ['hello', 'dm', 'sse-end'], ...options }));
  const helloUser = (client: TestEventSource | TestEventStream) =>
    client.waitForEvents(1).then((events) => JSON.parse(events[0].data) as User);

  beforeAll(async () => {
    server = await startApp(
      { controllers: [FeedController] },
      {
        retryMs: 50,
        auth: { from: ['header', 'cookie:sse_token', 'query:token', 'param:token'], verify, canJoin },
      },
      undefined,
      { logger },
    );
    hub = server.app.get(SseHub);
  });

  afterEach(async () => {
    for (const client of open.splice(0)) client.close();
    await waitForHub(hub, (h) => h.count() === 0);
  });

  afterAll(async () => {
    await server.close();
    const lines = logger.entries.map((entry) => entry.message);
    // The refusals below were logged (at debug level), so the check is not vacuous...
    expect(lines.some((line) => line.includes('Refused an event stream with 401'))).toBe(true);
    // ...and no token ever appears in clear, whatever the source it came from.
    for (const secret of SECRETS) {
      expect(lines.filter((line) => line.includes(secret))).toEqual([]);
    }
  });

  describe('token sources', () => {
    it('reads Authorization: Bearer, sent by the eventsource client on every connect through its fetch option', async () => {
      const client = source('/feed', { fetch: bearer(() => 'tok-alice-5d1c') });
      expect(await helloUser(client)).toEqual({ id: 'alice' });
    });

    it('reads the sse_token cookie from the Cookie header, without cookie-parser', async () => {
      const stream = await raw('/feed', { cookie: 'theme=dark; sse_token=tok-bob-77ae; other=1' });
      expect(stream.status).toBe(200);
      expect(await helloUser(stream)).toEqual({ id: 'bob' });
    });

    it('reads the token query parameter, as new EventSource("/feed?token=...") sends it', async () => {
      const client = source('/feed?token=tok-alice-5d1c');
      expect(await helloUser(client)).toEqual({ id: 'alice' });
    });

    it('reads the token route parameter', async () => {
      const client = source('/feed/tok-bob-77ae');
      expect(await helloUser(client)).toEqual({ id: 'bob' });
    });

    it('tries the sources in the configured order: the header wins over the cookie and the query', async () => {
      const stream = await raw('/feed?token=tok-alice-5d1c', {
        authorization: 'Bearer tok-bob-77ae',
        cookie: 'sse_token=tok-admin-0f3b',
      });
      expect(await helloUser(stream)).toEqual({ id: 'bob' });
    });

    it('tries the sources in the configured order: the cookie wins over the query', async () => {
      const stream = await raw('/feed?token=tok-alice-5d1c', { cookie: 'sse_token=tok-admin-0f3b' });
      expect(await helloUser(stream)).toEqual({ id: 'admin', role: 'admin' });
    });

    it('skips an Authorization header of another scheme and goes on to the next source', async () => {
      const stream = await raw('/feed?token=tok-alice-5d1c', { authorization: 'Basic YWxpY2U6cHc=' });
      expect(await helloUser(stream)).toEqual({ id: 'alice' });
    });

    it('lets routes other than event streams through without a token', async () => {
      const response = await fetch(`${server.url}/ping`);
      expect(response.status).toBe(200);
      expect(await response.json()).toEqual({ pong: true });
    });
  });

  describe('refusals, before any stream byte', () => {
    it('answers 401 with a JSON body and WWW-Authenticate: Bearer when there is no token', async () => {
      const stream = await raw('/feed');
      await stream.ended;
      expect(stream.status).toBe(401);
      expect(stream.headers['content-type']).toMatch(/^application\/json/);
      expect(stream.headers['www-authenticate']).toBe('Bearer');
      expect(JSON.parse(stream.text)).toEqual({
        statusCode: 401,
        error: 'Unauthorized',
        message: 'A token is required to open this event stream.',
      });
    });

    it('answers 401 with error="invalid_token" for a token the verifier refuses, and never echoes the token', async () => {
      const stream = await raw('/feed?token=not-a-known-token');
      await stream.ended;
      expect(stream.status).toBe(401);
      expect(stream.headers['www-authenticate']).toBe('Bearer error="invalid_token"');
      expect(stream.headers['content-type']).not.toMatch(/event-stream/);
      expect(JSON.parse(stream.text)).toEqual({
        statusCode: 401,
        error: 'Unauthorized',
        message: 'The token is invalid or has expired.',
      });
      expect(stream.text).not.toContain('not-a-known-token');
    });

    it('makes the eventsource client stop for good on 401 (no reconnect loop)', async () => {
      const client = source('/feed?token=wrong');
      await client.waitFor((c) => c.errors.length > 0).catch(() => undefined);
      expect(client.errors[0].code).toBe(401);
      expect(client.source.readyState).toBe(2); // CLOSED
      expect(client.opens).toBe(0);
    });

    it.each([
      ['an empty query token', '/feed?token='],
      ['an empty path token', '/feed/%20'],
      ['a token over 8 KiB', `/feed?token=${'a'.repeat(8193)}`],
      ['a token with control characters', '/feed?token=tok%01alice'],
      ['a token with a line break', '/feed?token=tok-alice-5d1c%0D%0Aevent:%20x'],
      ['a token with spaces', '/feed?token=tok%20alice'],
    ])('refuses %s with 401 without calling the verifier', async (_what, path) => {
      verified.length = 0;
      const stream = await raw(path);
      await stream.ended;
      expect(stream.status).toBe(401);
      expect(stream.headers['www-authenticate']).toBe('Bearer error="invalid_token"');
      expect(verified).toEqual([]);
    });

    it('refuses an empty Bearer header (the first source present decides) rather than falling through', async () => {
      const stream = await raw('/feed?token=tok-alice-5d1c', { authorization: 'Bearer ' });
      await stream.ended;
      expect(stream.status).toBe(401);
    });

    it('answers 401 when the verifier throws, and logs the error with the token redacted', async () => {
      logger.clear();
      const stream = await raw(`/feed?token=${THROWING_TOKEN}`);
      await stream.ended;
      expect(stream.status).toBe(401);
      const warning = await logger.waitFor('warn', 'The token verifier threw');
      expect(warning.message).toContain('user store unavailable while looking up [redacted]');
      expect(logger.messages('error')).toEqual([]);
    });
  });

  describe('per-channel authorization (auth.canJoin)', () => {
    it('answers 403 for a forbidden channel before streaming, joins nothing and leaves no registration', async () => {
      const stream = await raw('/rooms/secret', { authorization: 'Bearer tok-alice-5d1c' });
      await stream.ended;
      expect(stream.status).toBe(403);
      expect(stream.headers['content-type']).toMatch(/^application\/json/);
      expect(JSON.parse(stream.text)).toMatchObject({
        statusCode: 403,
        message: 'Not allowed to join channel "room:secret".',
      });
      expect(hub.count('room:secret')).toBe(0);
      expect(hub.stats().connections).toBe(0);
      expect(hub.connections({ userId: 'alice' })).toEqual([]);
    });

    it('lets a user the hook allows join the same channel', async () => {
      const stream = await raw('/rooms/secret', { authorization: 'Bearer tok-admin-0f3b' });
      expect(stream.status).toBe(200);
      await stream.waitForEvents(1);
      expect(hub.count('room:secret')).toBe(1);
    });

    it('denies by default: a hook that throws or returns anything but true answers 403', async () => {
      const boom = await raw('/rooms/boom', { authorization: 'Bearer tok-admin-0f3b' });
      const maybe = await raw('/rooms/maybe', { authorization: 'Bearer tok-admin-0f3b' });
      await Promise.all([boom.ended, maybe.ended]);
      expect([boom.status, maybe.status]).toEqual([403, 403]);
      expect(hub.count('room:boom') + hub.count('room:maybe')).toBe(0);
      expect(logger.messages('warn', 'auth.canJoin threw for channel "room:boom"')).toHaveLength(1);
    });

    it('makes the eventsource client stop for good on 403', async () => {
      const client = source('/rooms/secret?token=tok-bob-77ae');
      await client.waitFor((c) => c.errors.length > 0).catch(() => undefined);
      expect(client.errors[0].code).toBe(403);
      expect(client.source.readyState).toBe(2);
    });
  });

  describe('expiry', () => {
    it('ends the stream with the final word auth-expired when the credential expires; the client reconnects with a fresh one', async () => {
      let connects = 0;
      const client = source('/feed', { fetch: bearer(() => (connects++ === 0 ? SHORT_TOKEN : 'tok-alice-5d1c')) });
      await client.waitFor((c) => c.events.some((e) => e.type === 'sse-end'), 'the final word');
      const names = client.events.map((e) => e.type);
      expect(names.slice(0, 2)).toEqual(['hello', 'sse-end']);
      expect(JSON.parse(client.events[0].data)).toEqual({ id: 'carol' });
      expect(JSON.parse(client.events[1].data)).toEqual({ reason: 'auth-expired', expiredAt: expect.any(String) });
      // A 200 stream that ends makes the client reconnect, with the credential its fetch gives now.
      await client.waitFor((c) => c.events.filter((e) => e.type === 'hello').length === 2, 'the second hello');
      expect(JSON.parse(client.events[2].data)).toEqual({ id: 'alice' });
      expect(client.opens).toBe(2);
      expect(connects).toBe(2);
      // The one open stream (the reconnect, with a credential that does not expire) has no deadline: no timer.
      expect(hub.count()).toBe(1);
      expect(hub.stats().timers.deadlines).toBe(0);
    });

    it('keeps no timer for streams without an expiry, and drops the one of a stream closed before it expires', async () => {
      const forever = await raw('/feed', { authorization: 'Bearer tok-alice-5d1c' });
      await forever.waitForEvents(1);
      expect(hub.count()).toBe(1);
      expect(hub.stats().timers.deadlines).toBe(0);

      const short = await raw('/feed', { authorization: `Bearer ${SHORT_TOKEN}` });
      await short.waitForEvents(1);
      expect(hub.count()).toBe(2);
      expect(hub.stats().timers.deadlines).toBe(1);
      short.close();
      await waitForHub(hub, (h) => h.count() === 1);
      expect(hub.stats().timers.deadlines).toBe(0);
      expect(short.events.map((e) => e.type)).toEqual(['hello']);
    });
  });

  describe('users', () => {
    it('sendToUser() reaches every stream of the user by the id the guard set, and no one else', async () => {
      const aliceTab1 = source('/feed', { fetch: bearer(() => 'tok-alice-5d1c') });
      const aliceTab2 = source('/feed?token=tok-alice-5d1c');
      const bob = source('/feed', { fetch: bearer(() => 'tok-bob-77ae') });
      await Promise.all([aliceTab1, aliceTab2, bob].map((client) => client.waitForEvents(1)));
      expect(hub.connections({ userId: 'alice' })).toHaveLength(2);

      await hub.sendToUser('alice', sseEvent({ event: 'dm', data: 'for alice' }));
      await hub.sendToUser('bob', sseEvent({ event: 'dm', data: 'for bob' }));
      const [one, two, three] = await Promise.all([aliceTab1, aliceTab2, bob].map((client) => client.waitForEvents(2)));
      expect(one[1]).toMatchObject({ type: 'dm', data: 'for alice' });
      expect(two[1]).toMatchObject({ type: 'dm', data: 'for alice' });
      expect(three[1]).toMatchObject({ type: 'dm', data: 'for bob' });
    });
  });
});

describe('SseAuthGuard with the deprecated auth.expiredEventName', () => {
  let server: TestApp;
  const logs = new CaptureLogger();
  let expiresAt = 0;

  beforeAll(async () => {
    const expiring = (token: string) => {
      if (token !== SHORT_TOKEN) return USERS[token] ?? null;
      expiresAt = Date.now() + 300;
      return { user: { id: 'carol' }, expiresAt };
    };
    // The logger from the start: the deprecation is warned while the module compiles.
    const moduleRef = await Test.createTestingModule({
      imports: [SseModule.forRoot({ auth: { verify: expiring, expiredEventName: 'bye' } })],
      controllers: [FeedController],
    })
      .setLogger(logs)
      .compile();
    const app = moduleRef.createNestApplication({ logger: false, forceCloseConnections: true });
    app.useLogger(logs);
    server = await listen(app);
  });
  afterAll(() => server.close());

  it('names the final word auth-expired after it, with the new data, and warns at startup', async () => {
    expect(logs.messages('warn', 'Option "auth.expiredEventName" is deprecated')).toHaveLength(1);

    const stream = await openEventStream(server.app, `/feed`, { headers: { authorization: `Bearer ${SHORT_TOKEN}` } });
    expect(stream.status).toBe(200);
    await stream.ended;
    expect(stream.events.map(({ type, data }) => ({ event: type, data }))).toEqual([
      { event: 'hello', data: '{"id":"carol"}' },
      {
        event: 'bye',
        data: JSON.stringify({ reason: 'auth-expired', expiredAt: new Date(expiresAt).toISOString() }),
      },
    ]);

    // It names that one final word only: a stream that completes still ends with `sse-end`.
    const done = await openEventStream(server.app, `/feed/x`, { headers: { authorization: 'Bearer tok-bob-77ae' } });
    await done.ended;
    expect(done.events.map(({ type, data }) => ({ event: type, data }))).toEqual([
      { event: 'hello', data: '{"id":"bob"}' },
      { event: 'sse-end', data: '{"reason":"completed"}' },
    ]);
  });
});
