import { Controller, ConflictException, UseGuards } from '@nestjs/common';
import { concat, NEVER, of, throwError } from 'rxjs';
import { type TestEventStream, openEventStream, waitForHub } from 'nestjs-event-stream/testing';
import { EventStream, SseAuthGuard, SseClient, SseHub } from '../../lib/index.js';
import { startApp, type TestApp } from '../utils/test-app.js';
import { DelegatingBroker } from '../src/hub/hub-fixture.js';
import { UserFromHeaders } from '../src/auth/user-from-headers.guard.js';

@Controller('end')
class EndingController {
  constructor(private readonly hub: SseHub) {}

  @EventStream('completed')
  completed() {
    return of('a');
  }

  @EventStream('failed')
  failed() {
    return concat(
      of('a'),
      throwError(() => new Error('database password is hunter2')),
    );
  }

  @EventStream('http-failed')
  httpFailed() {
    return concat(
      of('a'),
      throwError(() => new ConflictException('The job was cancelled')),
    );
  }

  @EventStream('open')
  @UseGuards(UserFromHeaders)
  open(@SseClient() client: SseClient) {
    return this.hub.join(client, 'news');
  }

  @EventStream('lifetime', { maxLifetimeMs: 150, maxLifetimeJitter: 0 })
  lifetime() {
    return NEVER;
  }

  @EventStream('silent', { endEventName: false })
  silent() {
    return of('a');
  }

  @EventStream('named', { endEventName: 'bye' })
  named() {
    return of('a');
  }

  @EventStream('authed')
  @UseGuards(SseAuthGuard)
  authed() {
    return NEVER;
  }
}

const retryOf = (text: string) => Number(/^retry: (\d+)\n\n/.exec(text)?.[1]);
/** The frames of a body: what lies between blank lines. */
const framesOf = (text: string) => text.split('\n\n').filter((frame) => frame.length > 0);

describe('a final word on every server-side end', () => {
  let app: TestApp;
  let hub: SseHub;
  const streams: TestEventStream[] = [];

  beforeEach(async () => {
    app = await startApp(
      { controllers: [EndingController] },
      {
        retryMs: 1000,
        auth: {
          // A credential that expires 150 ms after it was checked.
          verify: (token) => (token === 'short' ? { user: { id: 'u' }, expiresAt: Date.now() + 150 } : null),
        },
      },
    );
    hub = app.app.get(SseHub);
  });

  afterEach(async () => {
    streams.splice(0).forEach((stream) => stream.close());
    await app.close();
  });

  async function open(path: string, headers: Record<string, string> = {}): Promise<TestEventStream> {
    const stream = await openEventStream(app.app, `/end/${path}`, { headers });
    streams.push(stream);
    expect(stream.status).toBe(200);
    return stream;
  }

  async function lastFrame(stream: TestEventStream): Promise<string> {
    await stream.ended;
    return `${framesOf(stream.text).at(-1)}\n\n`;
  }

  it('completed: the source is done', async () => {
    const stream = await open('completed');
    expect(await lastFrame(stream)).toBe('event: sse-end\ndata: {"reason":"completed"}\n\n');
    expect(stream.text).toMatch(/^retry: \d+\n\ndata: a\n\nevent: sse-end\ndata: \{"reason":"completed"\}\n\n$/);
  });

  it('error: sanitized, whatever the error said', async () => {
    const stream = await open('failed');
    expect(await lastFrame(stream)).toBe(
      'event: sse-end\ndata: {"reason":"error","status":500,"message":"Internal server error"}\n\n',
    );
    expect(stream.text).not.toContain('hunter2');
  });

  it('error: an HttpException says its status and message', async () => {
    const stream = await open('http-failed');
    expect(await lastFrame(stream)).toBe(
      'event: sse-end\ndata: {"reason":"error","status":409,"message":"The job was cancelled"}\n\n',
    );
  });

  it('lifetime: with a jittered retry hint in the same frame', async () => {
    const stream = await open('lifetime');
    const frame = await lastFrame(stream);
    expect(frame).toMatch(/^event: sse-end\nretry: \d+\ndata: \{"reason":"lifetime"\}\n\n$/);
    const retry = Number(/retry: (\d+)/.exec(frame)?.[1]);
    expect(retry).toBeGreaterThanOrEqual(800);
    expect(retry).toBeLessThanOrEqual(1200);
  });

  it('shutdown: with a retry hint over one to two retry periods', async () => {
    const stream = await open('open');
    await waitForHub(hub, () => hub.count('news') === 1);
    await app.close();
    const frame = await lastFrame(stream);
    expect(frame).toMatch(/^event: sse-end\nretry: \d+\ndata: \{"reason":"shutdown"\}\n\n$/);
    const retry = Number(/retry: (\d+)/.exec(frame)?.[1]);
    expect(retry).toBeGreaterThanOrEqual(1000);
    expect(retry).toBeLessThanOrEqual(2000);
  });

  it('auth-expired: says when the credential expired', async () => {
    const stream = await open('authed', { authorization: 'Bearer short' });
    const frame = await lastFrame(stream);
    const match = /^event: sse-end\ndata: (\{.*\})\n\n$/.exec(frame);
    expect(match).not.toBeNull();
    const data = JSON.parse(match![1]) as { reason: string; expiredAt: string };
    expect(data.reason).toBe('auth-expired');
    expect(Number.isNaN(Date.parse(data.expiredAt))).toBe(false);
  });

  it('disconnected: the app ended it with SseHub.disconnect()', async () => {
    const stream = await open('open');
    await waitForHub(hub, () => hub.count('news') === 1);
    await hub.disconnect(hub.connections()[0].id);
    expect(await lastFrame(stream)).toBe('event: sse-end\ndata: {"reason":"disconnected"}\n\n');
  });

  it('revoked: every stream of the user, or only those of one session', async () => {
    const [a1, a2, b] = await Promise.all([
      open('open', { 'x-user': 'ann', 'x-session': 's1' }),
      open('open', { 'x-user': 'ann', 'x-session': 's2' }),
      open('open', { 'x-user': 'bob', 'x-session': 's3' }),
    ]);
    await waitForHub(hub, () => hub.count('news') === 3);
    await hub.revoke({ sessionId: 's1' });
    expect(await lastFrame(a1)).toBe('event: sse-end\ndata: {"reason":"revoked"}\n\n');
    await waitForHub(hub, () => hub.count('news') === 2);
    await hub.revoke({ userId: 'ann' });
    expect(await lastFrame(a2)).toBe('event: sse-end\ndata: {"reason":"revoked"}\n\n');
    await waitForHub(hub, () => hub.count('news') === 1);
    // Bob's stream was never touched: it is open, with no final word.
    expect(hub.connections().map((client) => (client.user as { id: string }).id)).toEqual(['bob']);
    expect(b.text).not.toContain('sse-end');
  });

  it('revoke() refuses a target that names nothing, or two things', async () => {
    for (const target of [{}, { userId: '' }, { userId: 'a', sessionId: 'b' }, { sessionId: {} }, null]) {
      await expect(hub.revoke(target as never)).rejects.toThrow(
        /SseHub.revoke\(\) takes \{ userId \} or \{ sessionId \}/,
      );
    }
  });

  it('endEventName names the word; false says none (the stream just ends)', async () => {
    const named = await open('named');
    expect(await lastFrame(named)).toBe('event: bye\ndata: {"reason":"completed"}\n\n');
    const silent = await open('silent');
    await silent.ended;
    expect(silent.text).toBe(`retry: ${retryOf(silent.text)}\n\ndata: a\n\n`);
  });
});

/** A broker that cannot carry messages that are not stored (its link is down). */
class UnreachableBroker extends DelegatingBroker {
  override send(): Promise<void> {
    return Promise.reject(new Error('the broker is unreachable'));
  }
}

describe('revoke() while the broker cannot carry the message', () => {
  it("still ends this instance's streams of the user, and rejects so that the caller can retry", async () => {
    const app = await startApp(
      { controllers: [EndingController] },
      { broker: new UnreachableBroker(), auth: { verify: () => null } },
    );
    try {
      const hub = app.app.get(SseHub);
      const stream = await openEventStream(app.app, `/end/open`, { headers: { 'x-user': 'ann', 'x-session': 's1' } });
      await waitForHub(hub, () => hub.count('news') === 1);
      await expect(hub.revoke({ userId: 'ann' })).rejects.toThrow('the broker is unreachable');
      await stream.ended;
      expect(stream.text.endsWith('event: sse-end\ndata: {"reason":"revoked"}\n\n')).toBe(true);
    } finally {
      await app.close();
    }
  });
});
