import { Controller, UseGuards } from '@nestjs/common';
import { of } from 'rxjs';
import { openEventStream } from 'nestjs-event-stream/testing';
import { EventStream, SseAuthGuard, SseClient, sseEvent } from '../../lib/index.js';
import { startApp, type TestApp } from '../utils/test-app.js';

const TOKEN = 'tok-default-2b7c';

@Controller()
@UseGuards(SseAuthGuard)
class DefaultSourcesController {
  @EventStream('feed')
  feed(@SseClient() client: SseClient) {
    return of(sseEvent({ event: 'hello', data: client.user }));
  }

  @EventStream('feed/:token')
  feedByPath(@SseClient() client: SseClient) {
    return of(sseEvent({ event: 'hello', data: client.user }));
  }
}

describe('SseAuthGuard default token sources (auth.from not set)', () => {
  let server: TestApp;
  beforeAll(async () => {
    server = await startApp(
      { controllers: [DefaultSourcesController] },
      { auth: { verify: (token) => (token === TOKEN ? { id: 'default-user' } : null) } },
    );
  });
  afterAll(() => server.close());

  it('reads the Authorization: Bearer header and the sse_token cookie', async () => {
    const byHeader = await openEventStream(server.app, `/feed`, { headers: { authorization: `Bearer ${TOKEN}` } });
    const byCookie = await openEventStream(server.app, `/feed`, { headers: { cookie: `sse_token=${TOKEN}` } });
    expect([byHeader.status, byCookie.status]).toEqual([200, 200]);
    const [[fromHeader], [fromCookie]] = await Promise.all([byHeader.waitForEvents(1), byCookie.waitForEvents(1)]);
    expect([JSON.parse(fromHeader.data), JSON.parse(fromCookie.data)]).toEqual([
      { id: 'default-user' },
      { id: 'default-user' },
    ]);
  });

  it.each([
    ['a query token (it would land in access logs)', `/feed?token=${TOKEN}`],
    ['a path token', `/feed/${TOKEN}`],
  ])('does not read %s unless auth.from lists it: 401 as without a token', async (_what, path) => {
    const stream = await openEventStream(server.app, `${path}`);
    await stream.ended;
    expect(stream.status).toBe(401);
    expect(stream.headers['www-authenticate']).toBe('Bearer');
    expect(JSON.parse(stream.text)).toMatchObject({ message: 'A token is required to open this event stream.' });
  });
});
