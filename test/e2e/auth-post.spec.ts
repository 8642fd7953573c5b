import { Controller, UseGuards } from '@nestjs/common';
import { of } from 'rxjs';
import { type TestEventStream, openEventStream } from 'nestjs-event-stream/testing';
import { EventStream, SseAuthGuard, SseClient, sseEvent, type SseAuthOptions } from '../../lib/index.js';
import { startApp, type TestApp } from '../utils/test-app.js';

const TOKEN = 'tok-user-5e0a';
const verify = (token: string) => (token === TOKEN ? { id: 'user' } : null);
const APP_ORIGIN = 'https://app.example.com';

/** Every user a handler ran as: a refused request must not add one. */
const ranAs: string[] = [];

@Controller()
@UseGuards(SseAuthGuard)
class PostStreamController {
  @EventStream('feed', { method: 'POST' })
  postFeed(@SseClient() client: SseClient) {
    ranAs.push((client.user as { id: string }).id);
    return of(sseEvent({ event: 'hello', data: client.user }));
  }

  @EventStream('feed')
  getFeed(@SseClient() client: SseClient) {
    return of(sseEvent({ event: 'hello', data: client.user }));
  }
}

/** What a cross-site `<form method="post" enctype="application/x-www-form-urlencoded">` sends, with the user's cookie. */
const crossSiteForm = (origin: string, extra: Record<string, string> = {}) => ({
  method: 'POST',
  headers: {
    'content-type': 'application/x-www-form-urlencoded',
    origin,
    cookie: `sse_token=${TOKEN}`,
    ...extra,
  },
  body: 'text=hi',
});

/** The status and the body of a refusal (the raw text when it is not JSON, e.g. a stream that opened). */
async function answer(stream: TestEventStream) {
  if (stream.status === 200) stream.close();
  await stream.ended;
  const json = /^application\/json/.test(stream.headers['content-type'] ?? '');
  return { status: stream.status, body: json ? (JSON.parse(stream.text) as unknown) : stream.text };
}

describe('SseAuthGuard on POST event streams', () => {
  let server: TestApp;
  const start = async (auth: Omit<SseAuthOptions, 'verify'> = {}) => {
    server = await startApp({ controllers: [PostStreamController] }, { auth: { verify, ...auth } });
  };
  afterEach(() => server.close());

  describe('by default: cookies and query tokens authenticate GET streams only', () => {
    beforeEach(() => start({ from: ['header', 'cookie:sse_token', 'query:token'] }));

    it('refuses a cross-site form POST that carries only the sse_token cookie with 401, saying why, and runs no handler', async () => {
      ranAs.length = 0;
      const stream = await openEventStream(server.app, `/feed`, crossSiteForm('https://evil.example'));
      expect(await answer(stream)).toEqual({
        status: 401,
        body: {
          statusCode: 401,
          error: 'Unauthorized',
          message:
            'The token in cookie:sse_token was ignored: a POST event stream is not authenticated by a cookie or a URL (a cross-site form or a logged URL could carry them). Send the token in the Authorization: Bearer header instead.',
        },
      });
      expect(stream.headers['www-authenticate']).toBe('Bearer');
      expect(ranAs).toEqual([]);
    });

    it('refuses a POST whose token is in the query string with 401, naming the source', async () => {
      const stream = await openEventStream(server.app, `/feed?token=${TOKEN}`, { method: 'POST' });
      const { status, body } = await answer(stream);
      expect(status).toBe(401);
      expect((body as { message: string }).message).toMatch(
        /^The token in query:token was ignored: .* Authorization: Bearer header instead\.$/,
      );
      expect(stream.text).not.toContain(TOKEN);
    });

    it('opens a POST stream authenticated by the Authorization header, even with a cookie beside it', async () => {
      ranAs.length = 0;
      const stream = await openEventStream(
        server.app,
        `/feed`,
        crossSiteForm(APP_ORIGIN, { authorization: `Bearer ${TOKEN}`, cookie: 'sse_token=someone-else' }),
      );
      expect(stream.status).toBe(200);
      expect(JSON.parse((await stream.waitForEvents(1))[0].data)).toEqual({ id: 'user' });
      expect(ranAs).toEqual(['user']);
    });

    it('still opens a GET stream with the cookie or the query token', async () => {
      const byCookie = await openEventStream(server.app, `/feed`, { headers: { cookie: `sse_token=${TOKEN}` } });
      const byQuery = await openEventStream(server.app, `/feed?token=${TOKEN}`);
      expect([byCookie.status, byQuery.status]).toEqual([200, 200]);
      await Promise.all([byCookie.ended, byQuery.ended]);
    });
  });

  describe('with allowCookieOnPost: the cookie authenticates POST streams from the listed origins only', () => {
    beforeEach(() => start({ allowCookieOnPost: { origins: [APP_ORIGIN] } }));

    it('opens a POST stream with the cookie when Origin is exactly an allowed one', async () => {
      const stream = await openEventStream(server.app, `/feed`, crossSiteForm(APP_ORIGIN));
      expect(stream.status).toBe(200);
      expect(JSON.parse((await stream.waitForEvents(1))[0].data)).toEqual({ id: 'user' });
    });

    it.each([
      ['another site', 'https://evil.example'],
      ['a look-alike host', 'https://app.example.com.evil.example'],
      ['another scheme', 'http://app.example.com'],
      ['another port', 'https://app.example.com:8443'],
      ['an opaque origin', 'null'],
    ])('refuses the cookie on a POST from %s with 401', async (_what, origin) => {
      ranAs.length = 0;
      const { status, body } = await answer(await openEventStream(server.app, `/feed`, crossSiteForm(origin)));
      expect(status).toBe(401);
      expect((body as { message: string }).message).toBe(
        'The token in cookie:sse_token was ignored: a POST event stream from this origin is not authenticated by a cookie (auth.allowCookieOnPost does not list it). Send the token in the Authorization: Bearer header instead.',
      );
      expect(ranAs).toEqual([]);
    });

    it('refuses the cookie on a POST without an Origin header', async () => {
      const stream = await openEventStream(server.app, `/feed`, {
        method: 'POST',
        headers: { cookie: `sse_token=${TOKEN}` },
      });
      expect((await answer(stream)).status).toBe(401);
    });
  });
});
