import { Controller, UseGuards } from '@nestjs/common';
import { type TestEventStream, openEventStream, waitForHub } from 'nestjs-event-stream/testing';
import { EventStream, SseClient, SseHub } from '../../lib/index.js';
import { RedisSseBroker } from 'nestjs-event-stream/redis';
import { startApp, type TestApp } from '../utils/test-app.js';
import { deleteKeys, randomPrefix, REDIS_URL } from '../utils/redis.js';
import { UserFromHeaders } from '../src/auth/user-from-headers.guard.js';

@Controller()
@UseGuards(UserFromHeaders)
class FeedController {
  constructor(private readonly hub: SseHub) {}

  @EventStream('feed')
  feed(@SseClient() client: SseClient) {
    return this.hub.join(client, 'news');
  }
}

const prefix = randomPrefix('revoke');
const REVOKED = 'event: sse-end\ndata: {"reason":"revoked"}\n\n';

describe('revocation reaches every instance (RedisSseBroker)', () => {
  const apps: (TestApp & { hub: SseHub })[] = [];
  const streams: TestEventStream[] = [];

  beforeAll(async () => {
    for (const name of ['a', 'b']) {
      const broker = new RedisSseBroker({
        url: REDIS_URL,
        keyPrefix: prefix,
        redisOptions: { connectionName: `${prefix}${name}` },
      });
      const app = await startApp({ controllers: [FeedController] }, { broker, heartbeatMs: 0 });
      apps.push({ ...app, hub: app.app.get(SseHub) });
    }
  });

  afterAll(async () => {
    streams.splice(0).forEach((stream) => stream.close());
    await Promise.all(apps.map((app) => app.close()));
    await deleteKeys(REDIS_URL, prefix);
  });

  async function open(app: TestApp, user: string, session: string): Promise<TestEventStream> {
    const stream = await openEventStream(app.app, `/feed`, { headers: { 'x-user': user, 'x-session': session } });
    streams.push(stream);
    expect(stream.status).toBe(200);
    return stream;
  }

  it("ends the user's streams on both instances, then one session's only, and leaves the others open", async () => {
    const [a, b] = apps;
    const annOnA = await open(a, 'ann', 'phone');
    const annOnB = await open(b, 'ann', 'laptop');
    const bobOnB = await open(b, 'bob', 'tablet');
    const bobOnA = await open(a, 'bob', 'desktop');
    await waitForHub(a.hub, () => a.hub.count('news') === 2);
    await waitForHub(b.hub, () => b.hub.count('news') === 2);

    // Sign Ann out everywhere, from instance A: her stream on B ends too.
    await a.hub.revoke({ userId: 'ann' });
    await Promise.all([annOnA.ended, annOnB.ended]);
    expect(annOnA.text.endsWith(REVOKED)).toBe(true);
    expect(annOnB.text.endsWith(REVOKED)).toBe(true);

    // Sign out one of Bob's devices, from instance B: only that session's stream (on A) ends.
    await b.hub.revoke({ sessionId: 'desktop' });
    await bobOnA.ended;
    expect(bobOnA.text.endsWith(REVOKED)).toBe(true);
    await waitForHub(a.hub, () => a.hub.count('news') === 0);
    expect(b.hub.count('news')).toBe(1);
    expect(bobOnB.text).not.toContain('sse-end');
  });
});
