import { Controller, Query, UseGuards } from '@nestjs/common';
import { NEVER } from 'rxjs';
import { type TestEventStream, openEventStream, waitForHub } from 'nestjs-event-stream/testing';
import { EventStream, SseAuthGuard, SseClient, SseHub } from '../../lib/index.js';
import { TestEventSource } from '../utils/event-source-client.js';
import { startApp, type TestApp } from '../utils/test-app.js';
import { publishTicks } from '../utils/publish.js';

/** Every `Last-Event-ID` the feed was opened with (`null`: none). */
const resumedFrom: (string | null)[] = [];

@Controller()
class FeedController {
  constructor(private readonly hub: SseHub) {}

  @EventStream('feed', { maxLifetimeMs: 120 })
  feed(@SseClient() client: SseClient) {
    resumedFrom.push(client.lastEventId ?? null);
    return this.hub.join(client, 'ticks');
  }

  @EventStream('plain')
  plain(@Query('tag') _tag: string) {
    return NEVER;
  }

  @EventStream('authed-long', { maxLifetimeMs: 10_000 })
  @UseGuards(SseAuthGuard)
  authedLong() {
    return NEVER;
  }

  @EventStream('authed-short', { maxLifetimeMs: 100, maxLifetimeJitter: 0 })
  @UseGuards(SseAuthGuard)
  authedShort() {
    return NEVER;
  }
}

describe('stream lifetimes and jittered reconnects', () => {
  let app: TestApp;
  let hub: SseHub;
  const streams: TestEventStream[] = [];

  afterEach(async () => {
    streams.splice(0).forEach((stream) => stream.close());
    await app?.close();
    resumedFrom.length = 0;
  });

  async function start(options: Parameters<typeof startApp>[1] = {}) {
    app = await startApp(
      { controllers: [FeedController] },
      {
        maxAnonymousConnectionsPerAddress: Infinity,
        // The routes with SseAuthGuard: `soon` expires in 80 ms, anything else in 60 s.
        auth: {
          verify: (token) => ({ user: { id: token }, expiresAt: Date.now() + (token === 'soon' ? 80 : 60_000) }),
        },
        ...options,
      },
    );
    hub = app.app.get(SseHub);
  }

  it('gives each connection its own first retry hint, within retryMs ± retryJitter', async () => {
    await start({ retryMs: 3000 });
    const retries: number[] = [];
    for (let i = 0; i < 100; i++) {
      const stream = await openEventStream(app.app, `/plain?tag=${i}`);
      await stream.waitForText((text) => text.includes('\n\n'));
      retries.push(stream.retries[0]);
      stream.close();
    }
    expect(new Set(retries).size).toBeGreaterThan(40);
    expect(Math.min(...retries)).toBeGreaterThanOrEqual(2400);
    expect(Math.max(...retries)).toBeLessThanOrEqual(3600);
  });

  it('retryJitter: 0 sends retryMs exactly', async () => {
    await start({ retryMs: 1234, retryJitter: 0 });
    const stream = await openEventStream(app.app, `/plain`);
    streams.push(stream);
    await stream.waitForText((text) => text.includes('\n\n'));
    expect(stream.text).toBe('retry: 1234\n\n');
  });

  it('ends a stream at its lifetime; the client resumes with Last-Event-ID and loses nothing while publishing', async () => {
    await start({ retryMs: 20, heartbeatMs: 0 });
    const client = new TestEventSource(`${app.url}/feed`, { types: ['tick', 'sse-end'] });
    try {
      await waitForHub(hub, () => hub.count('ticks') === 1);
      // Publishes for longer than several lifetimes (120 ms each), bounded in count.
      const published = await publishTicks(hub, 'ticks', 150);
      await client.waitFor((c) => c.events.filter((e) => e.type === 'tick').length >= published.length, 'every tick');
      const ticks = client.events.filter((e) => e.type === 'tick').map((e) => e.data);
      expect(ticks).toEqual(published);
      const lifetimes = client.events.filter((e) => e.type === 'sse-end').map((e) => JSON.parse(e.data));
      expect(lifetimes.length).toBeGreaterThanOrEqual(2);
      for (const word of lifetimes) expect(word).toEqual({ reason: 'lifetime' });
      // The first connect had no id; every later one resumed from the last tick it had.
      expect(resumedFrom[0]).toBeNull();
      // One request per lifetime ended, plus the first; the last reconnect may still be under way.
      expect(resumedFrom.length).toBeGreaterThanOrEqual(lifetimes.length);
      expect(resumedFrom.length).toBeLessThanOrEqual(lifetimes.length + 1);
      expect(resumedFrom.slice(1).every((id) => id !== null && id.length > 0)).toBe(true);
    } finally {
      client.close();
    }
  });

  it('a lifetime and a credential expiry: the stream ends at the earlier, with its reason', async () => {
    await start({ retryMs: 1000 });
    const open = async (path: string, token: string) => {
      const stream = await openEventStream(app.app, `/${path}`, { headers: { authorization: `Bearer ${token}` } });
      streams.push(stream);
      expect(stream.status).toBe(200);
      await stream.ended;
      return JSON.parse(/data: (\{[^\n]*\})\n\n$/.exec(stream.text)![1]) as { reason: string };
    };
    // Lifetime 10 s, credential 80 ms: the credential wins.
    expect((await open('authed-long', 'soon')).reason).toBe('auth-expired');
    // Lifetime 100 ms, credential 60 s: the lifetime wins.
    expect((await open('authed-short', 'later')).reason).toBe('lifetime');
  });

  it('keeps no deadline of a stream that is gone', async () => {
    await start({ maxLifetimeMs: 60_000 });
    const opened = await Promise.all([0, 1, 2].map(() => openEventStream(app.app, `/plain`)));
    await waitForHub(hub, () => hub.count() === 3);
    expect(hub.stats().timers.deadlines).toBe(1);
    opened.forEach((stream) => stream.close());
    await waitForHub(hub, () => hub.count() === 0);
    expect(hub.stats().timers.deadlines).toBe(0);
  });
});
