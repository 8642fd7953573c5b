import type { AddressInfo } from 'node:net';
import { Redis } from 'ioredis';
import { type OpenEventStreamOptions, type TestEventStream, openEventStream } from 'nestjs-event-stream/testing';
import { createSampleApp, type SampleApp } from '../../sample/src/bootstrap.js';
import { deleteKeys, randomPrefix, REDIS_URL } from '../utils/redis.js';

const prefix = randomPrefix('sample');
const bearer = { authorization: 'Bearer demo-token' };
const annBearer = { authorization: 'Bearer ann-token' };

/** Two instances of the sample on one Redis (SSE_REDIS_URL): what one publishes, the other's streams get. */
describe('the sample app on Redis', () => {
  const instances: (SampleApp & { url: string })[] = [];
  const streams: TestEventStream[] = [];
  let a: string;
  let b: string;

  async function start(): Promise<string> {
    const sample = await createSampleApp(
      {
        SSE_REDIS_URL: REDIS_URL,
        SSE_REDIS_PREFIX: prefix,
        TICK_MS: '50',
        CLOCK_MS: '50',
        JOB_MS: '300',
        SSE_TOKENS: 'demo:demo-token,ann:ann-token',
      },
      { logger: false },
    );
    await sample.app.listen(0, '127.0.0.1');
    const url = `http://127.0.0.1:${(sample.app.getHttpServer().address() as AddressInfo).port}`;
    instances.push({ ...sample, url });
    return url;
  }

  async function open(url: string, options: OpenEventStreamOptions = {}): Promise<TestEventStream> {
    const stream = await openEventStream(url, '', options);
    streams.push(stream);
    return stream;
  }

  async function post(url: string, text: string): Promise<string> {
    const answer = await openEventStream(url, '', {
      method: 'POST',
      headers: { ...bearer, 'content-type': 'application/json' },
      body: JSON.stringify({ text }),
    });
    await answer.ended;
    expect(answer.status).toBe(201);
    return (JSON.parse(answer.text) as { id: string }).id;
  }

  beforeAll(async () => {
    a = await start();
    b = await start();
  });
  afterAll(async () => {
    streams.forEach((stream) => stream.close());
    await Promise.all(instances.map((instance) => instance.app.close()));
    await deleteKeys(REDIS_URL, prefix);
  });

  it('says so in /health, ready with the broker up', async () => {
    const health = await openEventStream(a, `/health`);
    await health.ended;
    expect(health.status).toBe(200);
    expect(JSON.parse(health.text)).toMatchObject({
      status: 'ok',
      info: { sse: { status: 'up', broker: 'up' }, hub: { status: 'up', broker: 'redis' } },
    });
  });

  it('opens a stream on one instance with a ticket issued by the other, once: the ticket lives in Redis', async () => {
    const issued = await openEventStream(a, `/tickets`, { method: 'POST', headers: bearer });
    await issued.ended;
    expect(issued.status).toBe(201);
    const { ticket } = JSON.parse(issued.text) as { ticket: string };
    const clock = await open(`${b}/clock?ticket=${ticket}`);
    expect(clock.status).toBe(200);
    expect((await clock.waitForEvents(1))[0].type).toBe('time');
    for (const instance of [a, b]) {
      const again = await openEventStream(instance, `/clock?ticket=${ticket}`);
      await again.ended;
      expect(again.status).toBe(401);
    }
  });

  it("delivers a message posted to one instance to the other's streams, and replays it there", async () => {
    const onB = await open(`${b}/rooms/cluster/events`, { headers: bearer });
    expect(onB.status).toBe(200);
    const first = await post(`${a}/rooms/cluster/messages`, 'from A');
    const [event] = await onB.waitForEvents(1);
    expect(event).toMatchObject({ type: 'message', id: first });
    expect(JSON.parse(event.data)).toMatchObject({ room: 'cluster', text: 'from A', user: 'demo' });

    const second = await post(`${b}/rooms/cluster/messages`, 'from B');
    const resumed = await open(`${a}/rooms/cluster/events`, { headers: { ...bearer, 'last-event-id': first } });
    const [replayed] = await resumed.waitForEvents(1);
    expect(replayed).toMatchObject({ id: second });
    expect(JSON.parse(replayed.data).text).toBe('from B');
  });

  it("signs a user out on every instance: a sign-out on A ends the user's streams on B, and both refuse the token", async () => {
    const onB = await open(`${b}/rooms/sign-out/events`, { headers: annBearer });
    const clockOnB = await open(`${b}/clock/ann-token`);
    const demoOnB = await open(`${b}/rooms/sign-out/events`, { headers: bearer });
    for (const stream of [onB, clockOnB, demoOnB]) expect(stream.status).toBe(200);
    await clockOnB.waitForEvents(1);

    const signedOut = await openEventStream(a, `/sign-out-everywhere`, { method: 'POST', headers: annBearer });
    await signedOut.ended;
    expect(signedOut.status).toBe(200);
    expect(JSON.parse(signedOut.text)).toMatchObject({ user: 'ann' });

    for (const stream of [onB, clockOnB]) {
      await stream.ended;
      expect(stream.text.endsWith('\n\nevent: sse-end\ndata: {"reason":"revoked"}\n\n')).toBe(true);
    }
    for (const instance of [b, a]) {
      const ticket = await openEventStream(instance, `/tickets`, { method: 'POST', headers: annBearer });
      await ticket.ended;
      expect(ticket.status).toBe(401);
      const refused = await openEventStream(instance, `/rooms/sign-out/events`, { headers: annBearer });
      await refused.ended;
      expect(refused.status).toBe(401);
    }

    // The sign-out is one key with a TTL of SIGN_OUT_MS (60 s by default), which Redis drops by itself.
    const redis = new Redis(REDIS_URL, { lazyConnect: true, maxRetriesPerRequest: 1 });
    try {
      await redis.connect();
      const ttl = await redis.pttl(`${prefix}sample:signed-out:ann`);
      expect(ttl).toBeGreaterThan(0);
      expect(ttl).toBeLessThanOrEqual(60_000);
    } finally {
      await redis.quit();
    }

    // Demo, on the same instances and in the same room, is not signed out.
    const id = await post(`${a}/rooms/sign-out/messages`, 'demo is still here');
    expect((await demoOnB.waitForEvents(1))[0]).toMatchObject({ id });
    expect(demoOnB.text).not.toContain('sse-end');
  });
});
