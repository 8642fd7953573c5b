import type { NestExpressApplication } from '@nestjs/platform-express';
import { type TestEventStream, openEventStream, waitForHub } from 'nestjs-event-stream/testing';
import { SseHub } from '../../lib/index.js';
import { HubController, streamUrl } from '../src/hub/hub-fixture.js';
import { startApp, type TestApp } from '../utils/test-app.js';

describe('connection limits by default', () => {
  let server: TestApp;
  let hub: SseHub;
  const streams: TestEventStream[] = [];

  async function open(headers: Record<string, string> = {}): Promise<TestEventStream> {
    const stream = await openEventStream(server.app, streamUrl('', ['lobby']), { headers });
    streams.push(stream);
    return stream;
  }

  beforeAll(async () => {
    server = await startApp({ controllers: [HubController] }, {}, (app) =>
      (app as NestExpressApplication).set('trust proxy', 'loopback'),
    );
    hub = server.app.get(SseHub);
  });
  afterEach(async () => {
    streams.splice(0).forEach((stream) => stream.close());
    await waitForHub(hub, (h) => h.count() === 0);
  });
  afterAll(() => server.close());

  it('lets one user open 16 streams, and answers the 17th 429 with Retry-After', async () => {
    for (let i = 0; i < 16; i++) expect((await open({ 'x-user-id': 'many-tabs' })).status).toBe(200);
    const refused = await open({ 'x-user-id': 'many-tabs' });
    await refused.ended;
    expect(refused.status).toBe(429);
    expect(refused.headers['retry-after']).toBe('3');
    expect(JSON.parse(refused.text).message).toContain('maxConnectionsPerUser');
    // Another user is not affected.
    expect((await open({ 'x-user-id': 'someone-else' })).status).toBe(200);
  });

  it('lets one address open 64 anonymous streams, and answers the 65th 429 naming the option', async () => {
    for (let i = 0; i < 64; i++) expect((await open()).status).toBe(200);
    const refused = await open();
    await refused.ended;
    expect(refused.status).toBe(429);
    expect(JSON.parse(refused.text).message).toContain('maxAnonymousConnectionsPerAddress');
    // A signed-in user from the same address counts against its own limit only.
    expect((await open({ 'x-user-id': 'signed-in' })).status).toBe(200);
  });

  it("counts anonymous streams by the client address behind a trusted proxy (Express's trust proxy)", async () => {
    for (let i = 0; i < 64; i++) expect((await open({ 'x-forwarded-for': '203.0.113.7' })).status).toBe(200);
    expect((await open({ 'x-forwarded-for': '203.0.113.7' })).status).toBe(429);
    // Another client behind the same proxy has its own count.
    expect((await open({ 'x-forwarded-for': '198.51.100.2' })).status).toBe(200);
  });
});
