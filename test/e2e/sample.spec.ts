import type { FetchLike } from 'eventsource';
import { SseHub } from 'nestjs-event-stream';
import { openEventStream } from 'nestjs-event-stream/testing';
import { createSampleApp } from '../../sample/src/bootstrap.js';
import { SampleConfigError } from '../../sample/src/config/sample-config.js';
import { JobsService } from '../../sample/src/jobs/jobs.service.js';
import { TestEventSource } from '../utils/event-source-client.js';
import { startSample } from '../utils/sample-app.js';
import {
  bearer,
  SAMPLE_ALLOWED_ORIGIN,
  SAMPLE_OTHER_TOKEN,
  SAMPLE_SUITE_ENV,
  SAMPLE_TOKEN,
  useSample,
} from '../utils/sample-suite.js';

const TOKEN = SAMPLE_TOKEN;
const OTHER_TOKEN = SAMPLE_OTHER_TOKEN;
const ALLOWED_ORIGIN = SAMPLE_ALLOWED_ORIGIN;
const ENV = SAMPLE_SUITE_ENV;
const ROOM_MESSAGE =
  'room must be 1 to 195 letters, digits or - _ . : @ (its channel, room:<room>, is at most 200 characters)';
const ISO_TIME = /^\d{4}-\d\d-\d\dT\d\d:\d\d:\d\d\.\d{3}Z$/;

describe('the sample app', () => {
  const suite = useSample();
  const { call, stream, post } = suite;

  function eventSource(path: string, headers: Record<string, string> = {}): TestEventSource {
    const withHeaders: FetchLike = (url, init) =>
      fetch(url, { ...init, headers: { ...(init?.headers as Record<string, string>), ...headers } });
    return suite.track(
      new TestEventSource(suite.sample.url + path, {
        types: ['tick', 'time', 'message', 'progress', 'done'],
        fetch: withHeaders,
      }),
    );
  }

  describe('GET /ticks', () => {
    it('streams a tick every TICK_MS with hub ids, n counting from 0, without a token', async () => {
      const source = eventSource('/ticks');
      const events = await source.waitForEvents(3);
      expect(events.map((event) => event.type)).toEqual(['tick', 'tick', 'tick']);
      const data = events.map((event) => JSON.parse(event.data) as { n: number; at: string });
      expect(data.map((tick) => tick.n)).toEqual([0, 1, 2]);
      for (const tick of data) expect(tick.at).toMatch(ISO_TIME);
      const ids = events.map((event) => event.lastEventId);
      expect(ids.every((id) => id.length > 0)).toBe(true);
      expect(new Set(ids).size).toBe(3);
    });

    it('resumes after the Last-Event-ID it is sent', async () => {
      const first = await stream('/ticks');
      const [seen] = await first.waitForEvents(1);
      first.close();
      const again = await stream('/ticks', { headers: { 'last-event-id': seen.id! } });
      const [next] = await again.waitForEvents(1);
      expect(JSON.parse(next.data).n).toBe(JSON.parse(seen.data).n + 1);
    });
  });

  describe('GET /', () => {
    it('serves the page and its assets', async () => {
      const page = await call('/');
      expect(page.status).toBe(200);
      expect(page.headers['content-type']).toMatch(/^text\/html/);
      for (const id of ['tick-n', 'room-messages', 'message-error', 'job-progress', 'job-status'])
        expect(page.text).toContain(`id="${id}"`);
      const script = await call('/app.js');
      expect(script.status).toBe(200);
      expect(script.headers['content-type']).toMatch(/javascript/);
      expect((await call('/style.css')).status).toBe(200);
      expect(page.headers['x-powered-by']).toBeUndefined();
    });
  });

  describe('GET /clock/:token', () => {
    it('answers 401 JSON for a bad token, before any stream byte', async () => {
      const answer = await call('/clock/not-a-token');
      expect(answer.status).toBe(401);
      expect(answer.headers['content-type']).toMatch(/^application\/json/);
      expect(answer.headers['www-authenticate']).toBe('Bearer error="invalid_token"');
      expect(answer.json()).toMatchObject({ statusCode: 401 });
      expect(answer.text).not.toContain('not-a-token');
    });

    it('takes the token from the path only: a valid cookie does not rescue a bad path token', async () => {
      const answer = await call('/clock/wrong', { headers: { cookie: `sse_token=${TOKEN}`, ...bearer() } });
      expect(answer.status).toBe(401);
    });

    it('sends this connection a time event every CLOCK_MS', async () => {
      const source = eventSource(`/clock/${TOKEN}`);
      const events = await source.waitForEvents(3);
      expect(events.map((event) => event.type)).toEqual(['time', 'time', 'time']);
      const times = events.map((event) => (JSON.parse(event.data) as { time: string }).time);
      for (const time of times) expect(time).toMatch(ISO_TIME);
      expect(Date.parse(times[2])).toBeGreaterThan(Date.parse(times[0]));
    });
  });

  describe('rooms', () => {
    it('refuses a stream without a valid token with 401', async () => {
      expect((await call('/rooms/lobby/events')).status).toBe(401);
      expect((await call('/rooms/lobby/events', { headers: bearer('nope') })).status).toBe(401);
      expect((await call('/rooms/lobby/events?token=nope')).status).toBe(401);
    });

    it.each([
      ['a slash', 'a%2Fb'],
      ['a space', 'a%20b'],
      ['196 characters', 'r'.repeat(196)],
      ['200 characters', 'r'.repeat(200)],
      ['a character outside -_.:@', 'caf%C3%A9'],
    ])('answers 400 for a room name with %s, saying what is allowed', async (_what, room) => {
      const answer = await call(`/rooms/${room}/events`, { headers: bearer() });
      expect(answer.status).toBe(400);
      expect(answer.json()).toMatchObject({ statusCode: 400, message: ROOM_MESSAGE });
      const posted = await post(room, 'hi');
      expect(posted.status).toBe(400);
      expect(posted.json()).toMatchObject({ message: ROOM_MESSAGE });
    });

    it('accepts a room name of 195 characters, the longest whose channel room:<room> fits in 200', async () => {
      const room = 'r'.repeat(195);
      const opened = await stream(`/rooms/${room}/events`, { headers: bearer() });
      expect(opened.status).toBe(200);
      expect((await post(room, 'longest room')).status).toBe(201);
      const [event] = await opened.waitForEvents(1);
      expect(JSON.parse(event.data)).toMatchObject({ room, text: 'longest room' });
    });

    it.each([
      ['an Authorization: Bearer header', '/rooms/auth-header/events', bearer()],
      ['a ?token= query parameter', `/rooms/auth-header/events?token=${TOKEN}`, {}],
      ['the sse_token cookie', '/rooms/auth-header/events', { cookie: `theme=dark; sse_token=${TOKEN}` }],
    ])('accepts %s', async (_what, path, headers) => {
      const opened = await stream(path, { headers });
      expect(opened.status).toBe(200);
      expect(opened.headers['content-type']).toMatch(/^text\/event-stream/);
    });

    it('publishes a posted message to every stream of the room, and only that room', async () => {
      const lobby = eventSource('/rooms/lobby.1:x@y_z-w/events', bearer());
      const elsewhere = await stream('/rooms/elsewhere/events', { headers: bearer() });
      await lobby.waitFor((source) => source.opens === 1, 'the stream to open');
      const answer = await post('lobby.1:x@y_z-w', 'hello 👋', bearer(OTHER_TOKEN));
      expect(answer.status).toBe(201);
      const { id } = answer.json() as { id: string };
      expect(typeof id).toBe('string');
      const [event] = await lobby.waitForEvents(1);
      expect(event).toMatchObject({ type: 'message', lastEventId: id });
      const data = JSON.parse(event.data) as Record<string, string>;
      expect(data).toEqual({
        room: 'lobby.1:x@y_z-w',
        text: 'hello 👋',
        user: 'ann',
        at: expect.stringMatching(ISO_TIME),
      });
      await post('elsewhere', 'marker');
      const [other] = await elsewhere.waitForEvents(1);
      expect(JSON.parse(other.data).text).toBe('marker');
    });

    it('replays the missed messages after Last-Event-ID, from the header or the lastEventId query parameter', async () => {
      const ids: string[] = [];
      for (const text of ['m1', 'm2', 'm3']) ids.push(((await post('replay', text)).json() as { id: string }).id);

      const fromHeader = await stream('/rooms/replay/events', { headers: { ...bearer(), 'last-event-id': ids[0] } });
      const replayed = await fromHeader.waitForEvents(2);
      expect(replayed.map((event) => [event.id, JSON.parse(event.data).text])).toEqual([
        [ids[1], 'm2'],
        [ids[2], 'm3'],
      ]);

      const fromQuery = await stream(`/rooms/replay/events?lastEventId=${encodeURIComponent(ids[1])}`, {
        headers: bearer(),
      });
      const [onlyLast] = await fromQuery.waitForEvents(1);
      expect([onlyLast.id, JSON.parse(onlyLast.data).text]).toEqual([ids[2], 'm3']);

      const live = ((await post('replay', 'm4')).json() as { id: string }).id;
      expect((await fromHeader.waitForEvents(3))[2].id).toBe(live);
      expect((await fromQuery.waitForEvents(2))[1].id).toBe(live);
    });

    it('authenticates a POST with the Bearer header only: no token, a bad one, a cookie or a query token get 401', async () => {
      expect((await post('lobby', 'hi', {})).status).toBe(401);
      expect((await post('lobby', 'hi', bearer('nope'))).status).toBe(401);
      expect((await post('lobby', 'hi', { authorization: `Basic ${TOKEN}` })).status).toBe(401);
      expect((await post('lobby', 'hi', { cookie: `sse_token=${TOKEN}` })).status).toBe(401);
      const query = await call(`/rooms/lobby/messages?token=${TOKEN}`, { method: 'POST', body: '{"text":"hi"}' });
      expect(query.status).toBe(401);
    });

    it('validates the body: text of 1 to 2000 characters, not blank, else 400 with a message', async () => {
      const refused = async (body: string) => {
        const answer = await call('/rooms/lobby/messages', { method: 'POST', headers: bearer(), body });
        expect(answer.status).toBe(400);
        return (answer.json() as { message: unknown }).message;
      };
      expect(await refused('{}')).toEqual(['text must be a string']);
      expect(await refused('{"text":42}')).toEqual(['text must be a string']);
      expect(await refused('{"text":""}')).toEqual(['text must be 1 to 2000 characters long (got 0)']);
      for (const blank of [' ', '   ', '\t\n\r ', '\u00a0\u2003\ufeff'])
        expect(await refused(JSON.stringify({ text: blank }))).toEqual(['text must not be blank']);
      expect(await refused(JSON.stringify({ text: 'x'.repeat(2001) }))).toEqual([
        'text must be 1 to 2000 characters long (got 2001)',
      ]);
      expect(await refused('{"text":')).toBeDefined(); // malformed JSON
      expect((await post('lobby', 'x'.repeat(2000))).status).toBe(201);
      expect((await post('lobby', '😀'.repeat(2000))).status).toBe(201);
      expect((await post('lobby', ' padded ')).status).toBe(201);
    });
  });

  async function startJob(token = TOKEN): Promise<string> {
    const answer = await call('/jobs', { method: 'POST', headers: bearer(token) });
    expect(answer.status).toBe(202);
    return (answer.json() as { id: string }).id;
  }

  /** A single-use ticket from POST /tickets (Bearer header). */
  async function ticket(token = TOKEN): Promise<string> {
    const answer = await call('/tickets', { method: 'POST', headers: bearer(token) });
    expect(answer.status).toBe(201);
    return (answer.json() as { ticket: string }).ticket;
  }

  describe('POST /tickets, then ?ticket=', () => {
    const USED =
      'The ticket is unknown, was already used or has expired: a ticket opens one stream, once. Ask for a new ticket and connect again.';

    it('issues a single-use ticket to a Bearer header only, never cached', async () => {
      const answer = await call('/tickets', { method: 'POST', headers: bearer() });
      expect(answer.status).toBe(201);
      expect(answer.headers['cache-control']).toBe('no-store');
      expect(answer.json()).toEqual({ ticket: expect.stringMatching(/^[A-Za-z0-9_-]{43}$/) });
      expect((await call('/tickets', { method: 'POST' })).status).toBe(401);
      expect((await call('/tickets', { method: 'POST', headers: bearer('nope') })).status).toBe(401);
      expect((await call('/tickets', { method: 'POST', headers: { cookie: `sse_token=${TOKEN}` } })).status).toBe(401);
      expect((await call(`/tickets?token=${TOKEN}`, { method: 'POST' })).status).toBe(401);
      // A ticket is not a token: it cannot get another ticket.
      const issued = await ticket();
      expect((await call(`/tickets?ticket=${issued}`, { method: 'POST' })).status).toBe(401);
      expect((await call('/tickets', { method: 'POST', headers: bearer(issued) })).status).toBe(401);
    });

    it('opens the clock once with a ticket: the same ticket again gets 401 saying it was used', async () => {
      const once = await ticket();
      const source = eventSource(`/clock?ticket=${once}`);
      const events = await source.waitForEvents(2);
      expect(events.map((event) => event.type)).toEqual(['time', 'time']);
      const again = await call(`/clock?ticket=${once}`);
      expect(again.status).toBe(401);
      expect(again.headers['www-authenticate']).toBe('Bearer error="invalid_token"');
      expect(again.json()).toEqual({ statusCode: 401, error: 'Unauthorized', message: USED });
    });

    it("refuses the eventsource client's own reconnect with the used ticket: it stops, and a new ticket reopens", async () => {
      const source = eventSource(`/clock?ticket=${await ticket()}`);
      await source.waitForEvents(1);
      const hub = suite.sample.app.get(SseHub);
      expect(await hub.disconnect((client) => client.request.url?.startsWith('/clock?') ?? false)).toBe(1);
      await source.waitFor((s) => s.source.readyState === s.source.CLOSED, 'the client to give up');
      expect(source.errors.at(-1)).toMatchObject({ code: 401 });
      expect(source.opens).toBe(1);
      const reopened = eventSource(`/clock?ticket=${await ticket()}`);
      expect((await reopened.waitForEvents(1))[0].type).toBe('time');
    });

    it('watches a job with a ticket of its owner; a ticket of another user gets 204', async () => {
      const id = await startJob();
      expect((await call(`/jobs/${id}/events?ticket=${await ticket(OTHER_TOKEN)}`)).status).toBe(204);
      const progress = await stream(`/jobs/${id}/events?ticket=${await ticket()}`);
      expect(progress.status).toBe(200);
      expect((await progress.waitForEvents(1))[0].type).toBe('progress');
    });

    it('never lets a ticket authorize a POST, and does not use it up there', async () => {
      const issued = await ticket();
      const body = JSON.stringify({ text: 'with a ticket' });
      expect((await call(`/rooms/lobby/messages?ticket=${issued}`, { method: 'POST', body })).status).toBe(401);
      expect((await call(`/jobs?ticket=${issued}`, { method: 'POST' })).status).toBe(401);
      expect((await stream(`/clock?ticket=${issued}`)).status).toBe(200);
    });
  });

  describe('jobs', () => {
    it('needs a Bearer token to start a job and to watch one', async () => {
      expect((await call('/jobs', { method: 'POST' })).status).toBe(401);
      expect((await call(`/jobs?token=${TOKEN}`, { method: 'POST' })).status).toBe(401);
      const id = await startJob();
      expect((await call(`/jobs/${id}/events`)).status).toBe(401);
    });

    it('streams progress from the current percent to 100, then done, then ends', async () => {
      const id = await startJob();
      const progress = await stream(`/jobs/${id}/events?ticket=${await ticket()}`);
      expect(progress.status).toBe(200);
      await progress.ended;
      // The job's own events; the stream's final word after them (its name is the library's) is not the job's.
      const events = progress.events.filter((event) => event.type === 'progress' || event.type === 'done');
      expect(progress.events.slice(0, events.length)).toEqual(events);
      expect(progress.events.length - events.length).toBeLessThanOrEqual(1);
      expect(events.at(-1)).toMatchObject({ type: 'done' });
      const percents = events.slice(0, -1).map((event) => {
        expect(event.type).toBe('progress');
        return (JSON.parse(event.data) as { percent: number }).percent;
      });
      expect(percents.at(-1)).toBe(100);
      expect(percents[0] % 10).toBe(0);
      percents.slice(1).forEach((percent, i) => expect(percent).toBe(percents[i] + 10));
    });

    it('answers 204 for a finished job, an unknown one and one of another user, so a browser stops', async () => {
      const id = await startJob();
      const source = eventSource(`/jobs/${id}/events`, bearer());
      await source.waitFor((s) => s.events.some((event) => event.type === 'done'), 'done');
      expect((await call(`/jobs/${id}/events`, { headers: bearer() })).status).toBe(204);
      expect((await call('/jobs/no-such-job/events', { headers: bearer() })).status).toBe(204);
      const someoneElses = await startJob(OTHER_TOKEN);
      expect((await call(`/jobs/${someoneElses}/events`, { headers: bearer() })).status).toBe(204);
    });
  });

  describe('CORS', () => {
    it('allows the listed origins with credentials, on plain routes and streams', async () => {
      const health = await call('/health', { headers: { origin: ALLOWED_ORIGIN } });
      expect(health.headers['access-control-allow-origin']).toBe(ALLOWED_ORIGIN);
      expect(health.headers['access-control-allow-credentials']).toBe('true');
      const ticks = await stream('/ticks', { headers: { origin: 'http://other-allowed.example:8080' } });
      expect(ticks.status).toBe(200);
      expect(ticks.headers['access-control-allow-origin']).toBe('http://other-allowed.example:8080');
      expect(ticks.headers['access-control-allow-credentials']).toBe('true');
    });

    it('answers the preflight of a POST with an Authorization header', async () => {
      const preflight = await call('/rooms/lobby/messages', {
        method: 'OPTIONS',
        headers: {
          origin: ALLOWED_ORIGIN,
          'access-control-request-method': 'POST',
          'access-control-request-headers': 'authorization,content-type',
        },
      });
      expect(preflight.status).toBe(204);
      expect(preflight.headers['access-control-allow-origin']).toBe(ALLOWED_ORIGIN);
      expect(preflight.headers['access-control-allow-headers']).toMatch(/authorization/i);
    });

    it('sends no CORS header to any other origin', async () => {
      for (const path of ['/health', '/ticks']) {
        const opened = await stream(path, { headers: { origin: 'http://evil.example' } });
        expect(opened.headers['access-control-allow-origin']).toBeUndefined();
        expect(opened.headers['access-control-allow-credentials']).toBeUndefined();
      }
    });
  });
});

describe('the sample app configuration', () => {
  it('names every bad variable at once, and never shows a token', async () => {
    const error = await createSampleApp(
      {
        TICK_MS: 'soon',
        PORT: '70000',
        CORS_ORIGINS: '*,https://ok.example,https://x.example/path',
        SSE_TOKENS: 'bob:has space',
      },
      { logger: false },
    ).catch((caught: unknown) => caught);
    expect(error).toBeInstanceOf(SampleConfigError);
    const { message } = error as SampleConfigError;
    expect(message).toContain('PORT="70000": expected a port number from 0 to 65535.');
    expect(message).toContain('TICK_MS="soon": expected milliseconds from 1 to 2147483647.');
    expect(message).toContain("CORS_ORIGINS: '*' cannot be used with credentials");
    expect(message).toContain('CORS_ORIGINS entry "https://x.example/path"');
    expect(message).toContain('SSE_TOKENS entry "bob:[redacted]"');
    expect(message).not.toContain('has space');
    expect((error as SampleConfigError).problems).toHaveLength(5);
  });

  it('sends no CORS header when CORS_ORIGINS is not set', async () => {
    const sample = await startSample({ TICK_MS: '50' });
    try {
      const response = await openEventStream(sample.app, `/health`, { headers: { origin: 'http://localhost:3000' } });
      await response.ended;
      expect(response.status).toBe(200);
      expect(response.headers['access-control-allow-origin']).toBeUndefined();
    } finally {
      await sample.app.close();
    }
  });

  it('ends open streams and clears job timers on close', async () => {
    const sample = await startSample({ ...ENV, JOB_MS: '60000' });
    const answer = await openEventStream(sample.app, `/jobs`, { method: 'POST', headers: bearer() });
    await answer.ended;
    const { id } = JSON.parse(answer.text) as { id: string };
    const progress = await openEventStream(sample.app, `/jobs/${id}/events`, { headers: bearer() });
    const ticks = await openEventStream(sample.app, `/ticks`);
    await progress.waitForEvents(1);
    const jobs = sample.app.get(JobsService);
    expect(jobs.running).toBe(1);
    await sample.app.close();
    await Promise.all([progress.ended, ticks.ended]);
    expect(jobs.running).toBe(0);
  });
});
