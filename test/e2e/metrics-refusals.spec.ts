import { Controller, Param, UseGuards } from '@nestjs/common';
import { openEventStream, waitForHub } from 'nestjs-event-stream/testing';
import { EventStream, SseAuthGuard, SseClient, SseHub } from '../../lib/index.js';
import { CaptureLogger } from '../utils/capture-logger.js';
import { startApp, type TestApp } from '../utils/test-app.js';

const SHORT_LIVED_MS = 150;
/** `tok-short` expires SHORT_LIVED_MS after it is checked; `tok` does not. */
const verify = (token: string) =>
  token === 'tok-short'
    ? { user: { id: 'short' }, expiresAt: Date.now() + SHORT_LIVED_MS }
    : token === 'tok'
      ? { user: { id: 'u' } }
      : null;

/** Holds `room:slow` until the test lets it in, so that its stream is still opening when its credential expires. */
let releaseSlow: (() => void) | undefined;
const canJoin = async (_user: unknown, channel: string) => {
  if (channel === 'room:slow') await new Promise<void>((resolve) => (releaseSlow = resolve));
  return channel !== 'room:secret';
};

@Controller()
@UseGuards(SseAuthGuard)
class RefusalsController {
  constructor(private readonly hub: SseHub) {}

  @EventStream('rooms/:room')
  room(@Param('room') room: string, @SseClient() client: SseClient) {
    return this.hub.join(client, `room:${room}`);
  }
}

describe('sse_refusals_total: what the library refused, counted where it decided it', () => {
  let server: TestApp;
  let hub: SseHub;
  const logger = new CaptureLogger();

  beforeAll(async () => {
    server = await startApp({ controllers: [RefusalsController] }, { auth: { verify, canJoin } }, undefined, {
      logger,
    });
    hub = server.app.get(SseHub);
  });
  afterAll(() => server.close());

  it('does not count a 401 of a credential that expired while its stream was opening', async () => {
    const opening = openEventStream(server.app, '/rooms/slow', { headers: { authorization: 'Bearer tok-short' } });
    await waitForHub(hub, () => releaseSlow !== undefined);
    // The credential expires while the join still waits: the stream is refused (401) once its join has settled.
    await logger.waitFor('debug', 'its credential expired while the stream was being set up');
    releaseSlow!();
    const refused = await opening;
    expect(refused.status).toBe(401);
    expect(hub.stats().refused).toEqual({ 401: 0, 403: 0, 429: 0, 503: 0 });
  });

  it("counts the channel authorizer's 403 once, and the guard's 401", async () => {
    const forbidden = await openEventStream(server.app, '/rooms/secret', { headers: { authorization: 'Bearer tok' } });
    const unauthorized = await openEventStream(server.app, '/rooms/lobby');
    expect([forbidden.status, unauthorized.status]).toEqual([403, 401]);
    expect(hub.stats().refused).toEqual({ 401: 1, 403: 1, 429: 0, 503: 0 });
  });

  it('does not count a HEAD the guard answers 401: it would never have been a stream', async () => {
    const before = hub.stats().refused[401];
    const head = await fetch(`${server.url}/rooms/lobby`, { method: 'HEAD' });
    expect(head.status).toBe(401);
    const get = await openEventStream(server.app, '/rooms/lobby');
    expect(get.status).toBe(401);
    expect(hub.stats().refused[401] - before).toBe(1);
  });
});
