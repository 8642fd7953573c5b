import { Controller, Param, UseGuards } from '@nestjs/common';
import { type TestEventStream, openEventStream, waitForHub } from 'nestjs-event-stream/testing';
import { EventStream, SseAuthGuard, SseClient, SseHub } from '../../lib/index.js';
import { startApp, type TestApp } from '../utils/test-app.js';

/** How long each token lives from the moment the guard verified it. */
const LIFETIMES: Record<string, number> = { 'tok-short': 150, 'tok-long': 60_000 };
/** The expiry each verification returned, by token: what the stream must be held to. */
const expiries = new Map<string, number>();

function verify(token: string) {
  const lifetime = LIFETIMES[token];
  if (lifetime === undefined) return null;
  const expiresAt = Date.now() + lifetime;
  expiries.set(token, expiresAt);
  return { user: { id: token }, expiresAt };
}

/** How long the slow steps below take: longer than the short token lives. */
const SLOW_MS = LIFETIMES['tok-short'] + 150;
const slowly = () => new Promise<void>((resolve) => setTimeout(resolve, SLOW_MS));

/**
 * A slow channel authorizer for `room:slow` (the measured case: the guard ran,
 * then the token expired while `canJoin` was still thinking).
 */
async function canJoin(_user: unknown, channel: string): Promise<boolean> {
  if (channel === 'room:slow') await slowly();
  return true;
}

@Controller()
@UseGuards(SseAuthGuard)
class ExpiryController {
  constructor(private readonly hub: SseHub) {}

  @EventStream('rooms/:room')
  room(@Param('room') room: string, @SseClient() client: SseClient) {
    return this.hub.join(client, `room:${room}`);
  }

  /** A handler that takes longer than the short credential lives before it returns its stream. */
  @EventStream('late')
  async late(@SseClient() client: SseClient) {
    await slowly();
    return this.hub.join(client, 'room:late');
  }
}

describe('SseAuthGuard: a credential that expires while the stream is being set up', () => {
  let server: TestApp;
  let hub: SseHub;
  const streams: TestEventStream[] = [];
  const get = async (path: string, headers: Record<string, string>) => {
    const stream = await openEventStream(server.app, `${path}`, { headers });
    streams.push(stream);
    return stream;
  };

  beforeAll(async () => {
    server = await startApp({ controllers: [ExpiryController] }, { auth: { verify, canJoin } });
    hub = server.app.get(SseHub);
  });

  afterEach(async () => {
    for (const stream of streams.splice(0)) stream.close();
    await waitForHub(hub, (h) => h.count() === 0);
  });

  afterAll(() => server.close());

  const expectRefusedBeforeAnyByte = (stream: TestEventStream) => {
    expect(stream.status).toBe(401);
    expect(stream.headers['content-type']).toMatch(/^application\/json/);
    expect(stream.headers['www-authenticate']).toBe('Bearer error="invalid_token"');
    expect(JSON.parse(stream.text)).toEqual({
      statusCode: 401,
      error: 'Unauthorized',
      message: 'The token expired before the event stream opened. Reconnect with a fresh token.',
    });
    expect(stream.events).toEqual([]);
    expect(stream.retries).toEqual([]);
  };

  it('refuses with 401 before any byte a stream whose credential expired during a slow canJoin, and replays none of its history', async () => {
    const before = await hub.publish('room:slow', 'seen');
    for (let i = 1; i <= 5; i++) await hub.publish('room:slow', `missed ${i}`);
    const stream = await get('/rooms/slow', { authorization: 'Bearer tok-short', 'last-event-id': before });
    await stream.ended;
    expectRefusedBeforeAnyByte(stream);
    expect(stream.text).not.toContain('missed');
    // Nothing of the refused stream is left behind.
    await waitForHub(hub, (h) => h.stats().connections === 0);
    expect(hub.count('room:slow')).toBe(0);
    expect(hub.connections({ userId: 'tok-short' })).toEqual([]);
  });

  it('refuses with 401 a stream whose handler returned its stream only after the credential expired', async () => {
    const stream = await get('/late', { authorization: 'Bearer tok-short' });
    await stream.ended;
    expectRefusedBeforeAnyByte(stream);
    expect(hub.count('room:late')).toBe(0);
  });

  it('still opens a stream whose credential outlives the slow join, with a deadline for its expiry', async () => {
    const stream = await get('/rooms/slow', { authorization: 'Bearer tok-long' });
    expect(stream.status).toBe(200);
    await waitForHub(hub, (h) => h.count('room:slow') === 1);
    await hub.publish('room:slow', 'live');
    const [event] = await stream.waitForEvents(1);
    expect(event.data).toBe('live');
    expect(hub.stats().timers.deadlines).toBe(1);
  });

  it('sends the final word auth-expired with the expiry the guard verified when the credential expires after the stream opened', async () => {
    const stream = await get('/rooms/fast', { authorization: 'Bearer tok-short' });
    expect(stream.status).toBe(200);
    const [event] = await stream.waitForEvents(1);
    expect(event.type).toBe('sse-end');
    expect(event.data).toBe(
      JSON.stringify({ reason: 'auth-expired', expiredAt: new Date(expiries.get('tok-short')!).toISOString() }),
    );
    await stream.ended;
  });
});
