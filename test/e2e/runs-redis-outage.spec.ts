import { randomUUID } from 'node:crypto';
import { Redis } from 'ioredis';
import { openEventStream, type TestEventStream } from 'nestjs-event-stream/testing';
import { RedisSseBroker } from 'nestjs-event-stream/redis';
import { startRunsApp, type RunsInstance } from '../src/runs/runs-app.js';
import { RedisServer, randomPrefix } from '../utils/redis.js';

const tokens = (stream: TestEventStream) => stream.events.filter((e) => e.type === 'message').map((e) => e.data);

describe('SseRuns while Redis does not answer (a private server, paused)', () => {
  let server: RedisServer;
  const instances: RunsInstance[] = [];
  const streams: TestEventStream[] = [];

  beforeAll(async () => {
    server = await RedisServer.start();
  });

  afterEach(async () => {
    streams.splice(0).forEach((stream) => stream.close());
    await Promise.all(instances.splice(0).map((instance) => instance.close()));
  });

  afterAll(() => server.stop());

  it('records every token once: a publish that timed out is looked for in history before it is sent again', async () => {
    const keyPrefix = `${randomPrefix('runs-outage')}`;
    for (const name of ['a', 'b']) {
      const broker = new RedisSseBroker({
        url: server.url,
        keyPrefix,
        commandTimeoutMs: 200,
        redisOptions: { connectionName: name },
      });
      instances.push(await startRunsApp({}, { broker }));
    }
    const [a, b] = instances;
    const id = randomUUID();
    const onA = await openEventStream(a.app, '/runs', {
      method: 'POST',
      headers: { 'idempotency-key': id },
      decode: 'text',
    });
    streams.push(onA);
    const feed = await a.source.started(id);
    const onB = await openEventStream(b.app, `/runs/${id}`, { decode: 'text', timeoutMs: 10_000 });
    streams.push(onB);
    feed.emit('t0', 't1');
    await onB.waitForEvents(2);
    const admin = new Redis(server.url);
    try {
      // Every command of every client waits 1.2 s: publishes time out (they may have been stored) and are retried.
      await admin.call('CLIENT', 'PAUSE', '1200', 'WRITE');
      feed.emit('t2', 't3', 't4');
      await onB.waitForEvents(5);
    } finally {
      admin.disconnect();
    }
    feed.emit('t5');
    feed.complete();
    await Promise.all([onA.waitForEnd(), onB.waitForEnd()]);
    const sent = ['t0', 't1', 't2', 't3', 't4', 't5'];
    expect(tokens(onA)).toEqual(sent);
    expect(tokens(onB)).toEqual(sent);
  });
});
