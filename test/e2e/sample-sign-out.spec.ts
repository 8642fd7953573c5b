import type { FetchLike } from 'eventsource';
import { SseHub } from 'nestjs-event-stream';
import {
  type OpenEventStreamOptions,
  type TestEventStream,
  openEventStream,
  waitForHub,
} from 'nestjs-event-stream/testing';
import { createSampleApp } from '../../sample/src/bootstrap.js';
import { SampleConfigError, type SampleEnv } from '../../sample/src/config/sample-config.js';
import { TestEventSource } from '../utils/event-source-client.js';
import { callSample, startSample, type Answer, type RunningSample } from '../utils/sample-app.js';

const TOKEN = 'demo-token';
const OTHER_TOKEN = 'ann-token';
const ENV: SampleEnv = { TICK_MS: '1000', CLOCK_MS: '50', SSE_TOKENS: `demo:${TOKEN},ann:${OTHER_TOKEN}` };
const REVOKED = 'event: sse-end\ndata: {"reason":"revoked"}\n\n';
const bearer = (token = TOKEN) => ({ authorization: `Bearer ${token}` });

/** Resolves with the first value of `attempt` that `done` accepts, trying every 20 ms for at most `withinMs`. */
async function poll<T>(attempt: () => Promise<T>, done: (value: T) => boolean, withinMs: number): Promise<T> {
  const deadline = Date.now() + withinMs;
  for (;;) {
    const value = await attempt();
    if (done(value) || Date.now() > deadline) return value;
    await new Promise((resolve) => setTimeout(resolve, 20));
  }
}

/** "Sign out everywhere": POST /sign-out-everywhere revokes the user's streams and refuses the user's tokens for SIGN_OUT_MS. */
describe('the sample app: sign out everywhere', () => {
  let sample: RunningSample;
  const streams: (TestEventStream | TestEventSource)[] = [];

  function call(path: string, options: OpenEventStreamOptions = {}): Promise<Answer> {
    return callSample(sample, path, options);
  }

  async function stream(path: string, options: OpenEventStreamOptions = {}): Promise<TestEventStream> {
    const opened = await openEventStream(sample.app, path, options);
    streams.push(opened);
    return opened;
  }

  function eventSource(path: string, headers: Record<string, string>): TestEventSource {
    const withHeaders: FetchLike = (url, init) =>
      fetch(url, { ...init, headers: { ...(init?.headers as Record<string, string>), ...headers } });
    const source = new TestEventSource(sample.url + path, { types: ['message', 'sse-end'], fetch: withHeaders });
    streams.push(source);
    return source;
  }

  async function ticket(token = TOKEN): Promise<string> {
    const answer = await call('/tickets', { method: 'POST', headers: bearer(token) });
    expect(answer.status).toBe(201);
    return (answer.json() as { ticket: string }).ticket;
  }

  function signOut(headers: Record<string, string> = bearer()): Promise<Answer> {
    return call('/sign-out-everywhere', { method: 'POST', headers });
  }

  async function post(room: string, text: string, token: string): Promise<Answer> {
    return call(`/rooms/${room}/messages`, {
      method: 'POST',
      headers: { ...bearer(token), 'content-type': 'application/json' },
      body: JSON.stringify({ text }),
    });
  }

  afterEach(async () => {
    streams.splice(0).forEach((opened) => opened.close());
    await sample?.app.close();
  });

  it('takes the Bearer header only: no token, a bad one, the cookie or a query token get 401 and revoke nothing', async () => {
    sample = await startSample(ENV);
    const room = await stream('/rooms/lobby/events', { headers: bearer() });
    expect(room.status).toBe(200);
    expect((await signOut({})).status).toBe(401);
    expect((await signOut(bearer('nope'))).status).toBe(401);
    expect((await signOut({ cookie: `sse_token=${TOKEN}` })).status).toBe(401);
    expect((await call(`/sign-out-everywhere?token=${TOKEN}`, { method: 'POST' })).status).toBe(401);
    expect((await call(`/sign-out-everywhere?ticket=${await ticket()}`, { method: 'POST' })).status).toBe(401);
    expect((await post('lobby', 'still here', TOKEN)).status).toBe(201);
    expect(JSON.parse((await room.waitForEvents(1))[0].data).text).toBe('still here');
    expect(room.text).not.toContain('sse-end');
  });

  it("ends every stream of the user with the final word revoked as its last frame, and leaves another user's streams alone", async () => {
    sample = await startSample(ENV);
    const clock = await stream(`/clock?ticket=${await ticket()}`);
    const pathClock = await stream(`/clock/${TOKEN}`);
    const room = await stream('/rooms/lobby/events', { headers: bearer() });
    const roomByCookie = await stream('/rooms/other/events', { headers: { cookie: `sse_token=${TOKEN}` } });
    const ann = await stream('/rooms/lobby/events', { headers: bearer(OTHER_TOKEN) });
    const ticks = await stream('/ticks');
    for (const opened of [clock, pathClock, room, roomByCookie, ann, ticks]) expect(opened.status).toBe(200);
    await Promise.all([clock.waitForEvents(1), pathClock.waitForEvents(1)]);

    const before = Date.now();
    const answer = await signOut();
    expect(answer.status).toBe(200);
    expect(answer.headers['cache-control']).toBe('no-store');
    const { user, refusedUntil } = answer.json() as { user: string; refusedUntil: string };
    expect(user).toBe('demo');
    // SIGN_OUT_MS defaults to 60 s.
    expect(Date.parse(refusedUntil) - before).toBeGreaterThanOrEqual(60_000);
    expect(Date.parse(refusedUntil) - Date.now()).toBeLessThanOrEqual(60_000);

    for (const opened of [clock, pathClock, room, roomByCookie]) {
      await opened.ended;
      // The exact bytes: the final word is a frame of its own, the last one, and the only one.
      expect(opened.text.endsWith(`\n\n${REVOKED}`)).toBe(true);
      expect(opened.text.split('sse-end')).toHaveLength(2);
    }

    // Ann's stream and the anonymous ticker go on.
    expect((await post('lobby', 'ann is still here', OTHER_TOKEN)).status).toBe(201);
    const [message] = await ann.waitForEvents(1);
    expect(JSON.parse(message.data)).toMatchObject({ user: 'ann', text: 'ann is still here' });
    const ticked = ticks.events.length;
    await ticks.waitForEvents(ticked + 1);
    for (const opened of [ann, ticks]) expect(opened.text).not.toContain('sse-end');
    expect(sample.app.get(SseHub).connections({ userId: 'demo' })).toEqual([]);
    expect(sample.app.get(SseHub).connections({ userId: 'ann' })).toHaveLength(1);
  });

  it("refuses the user's token from then on: tickets, streams and POSTs get 401; other users' tokens still work", async () => {
    sample = await startSample(ENV);
    expect((await signOut()).status).toBe(200);
    const noTicket = await call('/tickets', { method: 'POST', headers: bearer() });
    expect(noTicket.status).toBe(401);
    expect(noTicket.headers['www-authenticate']).toBe('Bearer error="invalid_token"');
    expect((await call(`/clock/${TOKEN}`)).status).toBe(401);
    expect((await call('/rooms/lobby/events', { headers: bearer() })).status).toBe(401);
    expect((await call('/rooms/lobby/events', { headers: { cookie: `sse_token=${TOKEN}` } })).status).toBe(401);
    expect((await post('lobby', 'signed out', TOKEN)).status).toBe(401);
    expect((await signOut()).status).toBe(401);
    expect((await ticket(OTHER_TOKEN)).length).toBeGreaterThan(0);
    expect((await stream('/rooms/lobby/events', { headers: bearer(OTHER_TOKEN) })).status).toBe(200);
  });

  it('refuses a ticket issued before the sign-out: it cannot open a stream after it', async () => {
    sample = await startSample(ENV);
    const early = await ticket();
    const annTicket = await ticket(OTHER_TOKEN);
    expect((await signOut()).status).toBe(200);
    const refused = await call(`/clock?ticket=${early}`);
    expect(refused.status).toBe(401);
    expect(refused.text).not.toContain(early);
    expect((await stream(`/clock?ticket=${annTicket}`)).status).toBe(200);
  });

  it('makes the eventsource client stop: it gets the final word, its reconnect is refused with 401, it never reopens', async () => {
    sample = await startSample(ENV);
    const source = eventSource('/rooms/lobby/events', bearer());
    await source.waitFor((s) => s.opens === 1, 'the stream to open');
    expect((await signOut()).status).toBe(200);
    await source.waitFor((s) => s.source.readyState === s.source.CLOSED, 'the client to give up');
    expect(source.events).toEqual([{ type: 'sse-end', data: '{"reason":"revoked"}', lastEventId: '' }]);
    expect(source.errors.at(-1)).toMatchObject({ code: 401 });
    expect(source.opens).toBe(1);
  });

  it('lets the demo token in again once SIGN_OUT_MS is over', async () => {
    sample = await startSample({ ...ENV, SIGN_OUT_MS: '300' });
    const room = await stream('/rooms/lobby/events', { headers: bearer() });
    const answer = await signOut();
    expect(answer.status).toBe(200);
    const { refusedUntil } = answer.json() as { refusedUntil: string };
    // Refused while the window lasts: this request is sent a few ms into its 300.
    expect((await call('/tickets', { method: 'POST', headers: bearer() })).status).toBe(401);
    await room.ended;
    expect(room.text.endsWith(`\n\n${REVOKED}`)).toBe(true);

    const accepted = await poll(
      () => call('/tickets', { method: 'POST', headers: bearer() }),
      (a) => a.status === 201,
      5000,
    );
    expect(accepted.status).toBe(201);
    expect(Date.now()).toBeGreaterThanOrEqual(Date.parse(refusedUntil));
    const { ticket: issued } = accepted.json() as { ticket: string };
    const clock = await stream(`/clock?ticket=${issued}`);
    expect(clock.status).toBe(200);
    expect((await clock.waitForEvents(1))[0].type).toBe('time');
    const again = await stream('/rooms/lobby/events', { headers: bearer() });
    expect(again.status).toBe(200);
    await waitForHub(sample.app.get(SseHub), (hub) => hub.connections({ userId: 'demo' }).length === 2);
  });

  it('counts a sign-out against the POST budget of the user (POST_LIMIT)', async () => {
    sample = await startSample({ ...ENV, POST_LIMIT: '2', POST_WINDOW_MS: '60000' });
    for (let i = 0; i < 2; i++) expect((await post('flood', `m${i}`, TOKEN)).status).toBe(201);
    const refused = await signOut();
    expect(refused.status).toBe(429);
    expect(Number(refused.headers['retry-after'])).toBeGreaterThan(0);
    // Refused before anything was done: the token still opens streams.
    expect((await stream('/rooms/lobby/events', { headers: bearer() })).status).toBe(200);
  });
});

describe('the sample app sign-out configuration', () => {
  it('checks SIGN_OUT_MS', async () => {
    const error = await createSampleApp({ SIGN_OUT_MS: 'soon' }, { logger: false }).catch((caught: unknown) => caught);
    expect(error).toBeInstanceOf(SampleConfigError);
    expect((error as SampleConfigError).problems).toEqual([
      'SIGN_OUT_MS="soon": expected milliseconds from 1 to 86400000.',
    ]);
  });
});
