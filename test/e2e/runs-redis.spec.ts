import { randomUUID } from 'node:crypto';
import { openEventStream, type TestEventStream } from 'nestjs-event-stream/testing';
import { RedisSseBroker } from 'nestjs-event-stream/redis';
import { startRunsApp, type RunsInstance } from '../src/runs/runs-app.js';
import { deleteKeys, randomPrefix, REDIS_URL } from '../utils/redis.js';

const tokens = (stream: TestEventStream) => stream.events.filter((e) => e.type === 'message').map((e) => e.data);
const finalWord = (stream: TestEventStream) => {
  const word = stream.events.filter((e) => e.type === 'sse-end').at(-1);
  return word && (JSON.parse(word.data) as Record<string, unknown>);
};

const prefix = randomPrefix('runs');
let namespaces = 0;

describe('SseRuns on two instances sharing Redis: resume, cancel, idle and retries on any instance', () => {
  const instances: RunsInstance[] = [];
  const streams: TestEventStream[] = [];
  let a: RunsInstance;
  let b: RunsInstance;

  async function start(runs: Parameters<typeof startRunsApp>[0] = {}) {
    const keyPrefix = `${prefix}${++namespaces}:`;
    const make = async (name: string) => {
      const broker = new RedisSseBroker({
        url: REDIS_URL,
        keyPrefix,
        redisOptions: { connectionName: `${keyPrefix}${name}` },
      });
      const instance = await startRunsApp(runs, { broker });
      instances.push(instance);
      return instance;
    };
    [a, b] = await Promise.all([make('a'), make('b')]);
  }

  const open = async (on: RunsInstance, path: string, options: Parameters<typeof openEventStream>[2] = {}) => {
    const stream = await openEventStream(on.app, path, { decode: 'text', ...options });
    streams.push(stream);
    return stream;
  };
  const post = (on: RunsInstance, id: string) =>
    open(on, '/runs', { method: 'POST', headers: { 'idempotency-key': id } });

  afterEach(async () => {
    streams.splice(0).forEach((stream) => stream.close());
    await Promise.all(instances.splice(0).map((instance) => instance.close()));
  });

  afterAll(() => deleteKeys(REDIS_URL, prefix));

  it('a client dropped mid-run on A resumes on B with Last-Event-ID: no token lost or repeated, then completed', async () => {
    await start();
    const id = randomUUID();
    const first = await post(a, id);
    const feed = await a.source.started(id);
    const sent = Array.from({ length: 60 }, (_, i) => `tok${i}`);
    feed.emit(...sent.slice(0, 20));
    await first.waitForEvents(20);
    const seen = first.lastEventId;
    first.close();
    await first.ended;
    feed.emit(...sent.slice(20, 40));
    const resumed = await open(b, `/runs/${id}`, { lastEventId: seen });
    feed.emit(...sent.slice(40));
    feed.complete();
    await resumed.waitForEnd();
    expect([...tokens(first), ...tokens(resumed)]).toEqual(sent);
    expect(finalWord(resumed)).toEqual({ reason: 'completed' });
    expect(b.source.has(id)).toBe(false);
  });

  it('a listener on B of a run on A gets it from its start, live, and after its end; resuming on A works alike', async () => {
    await start();
    const id = randomUUID();
    const onA = await post(a, id);
    const feed = await a.source.started(id);
    feed.emit('a1', 'a2');
    const onB = await open(b, `/runs/${id}`);
    await onB.waitForEvents(2);
    feed.emit('a3');
    feed.complete();
    await Promise.all([onA.waitForEnd(), onB.waitForEnd()]);
    expect(tokens(onA)).toEqual(['a1', 'a2', 'a3']);
    expect(tokens(onB)).toEqual(['a1', 'a2', 'a3']);
    const late = await open(a, `/runs/${id}`, { lastEventId: onB.events[0].id });
    await late.waitForEnd();
    expect(tokens(late)).toEqual(['a2', 'a3']);
    const all = await open(b, `/runs/${id}`, { lastEventId: onB.lastEventId });
    expect(all.status).toBe(204);
  });

  it('a DELETE on B cancels the run on A: its teardown runs there, and listeners on both get outcome cancelled', async () => {
    await start();
    const id = randomUUID();
    const onA = await post(a, id);
    const feed = await a.source.started(id);
    feed.emit('x');
    const onB = await open(b, `/runs/${id}`);
    await Promise.all([onA.waitForEvents(1), onB.waitForEvents(1)]);
    const response = await fetch(`${b.url}/runs/${id}`, { method: 'DELETE' });
    expect(response.status).toBe(204);
    await feed.tornDown.promise;
    await Promise.all([onA.waitForEnd(), onB.waitForEnd()]);
    expect(finalWord(onA)).toEqual({ reason: 'completed', outcome: 'cancelled' });
    expect(finalWord(onB)).toEqual({ reason: 'completed', outcome: 'cancelled' });
    expect(tokens(onB)).toEqual(['x']);
  });

  it('a retried POST with the same key on B joins the run on A: the producer is called once in all', async () => {
    await start();
    const id = randomUUID();
    const first = await post(a, id);
    const feed = await a.source.started(id);
    feed.emit('k1');
    await first.waitForEvents(1);
    first.close();
    const retry = await post(b, id);
    await retry.waitForEvents(1);
    feed.emit('k2');
    feed.complete();
    await retry.waitForEnd();
    expect(tokens(retry)).toEqual(['k1', 'k2']);
    expect(a.source.calls + b.source.calls).toBe(1);
  });

  it('two POSTs with one key on A and B at once start one run', async () => {
    await start();
    const id = randomUUID();
    const [onA, onB] = await Promise.all([post(a, id), post(b, id)]);
    expect(a.source.calls + b.source.calls).toBe(1);
    const feed = await (a.source.has(id) ? a : b).source.started(id);
    feed.emit('only');
    feed.complete();
    await Promise.all([onA.waitForEnd(), onB.waitForEnd()]);
    expect(tokens(onA)).toEqual(['only']);
    expect(tokens(onB)).toEqual(['only']);
  });

  it('a listener on B keeps a run on A alive past idleTimeoutMs (leases); once it leaves, the run goes idle', async () => {
    await start({ idleTimeoutMs: 400 });
    const id = randomUUID();
    const started = await fetch(`${a.url}/runs/start`, { method: 'POST', headers: { 'idempotency-key': id } });
    expect(started.status).toBe(201);
    const feed = await a.source.started(id);
    const onB = await open(b, `/runs/${id}`);
    for (let i = 0; i < 8; i++) {
      feed.emit(String(i));
      await onB.waitForEvents(i + 1);
      await new Promise((resolve) => setTimeout(resolve, 150));
    }
    expect(feed.signal?.aborted).toBe(false);
    onB.close();
    await feed.tornDown.promise;
    const late = await open(a, `/runs/${id}`);
    await late.waitForEnd();
    expect(tokens(late)).toEqual(['0', '1', '2', '3', '4', '5', '6', '7']);
    expect(finalWord(late)).toEqual({ reason: 'completed', outcome: 'idle' });
  });

  it('an instance that shuts down stops its runs: their listeners elsewhere get the final word error 503, outcome shutdown', async () => {
    await start();
    const id = randomUUID();
    const started = await fetch(`${a.url}/runs/start`, { method: 'POST', headers: { 'idempotency-key': id } });
    expect(started.status).toBe(201);
    const feed = await a.source.started(id);
    feed.emit('s');
    const onB = await open(b, `/runs/${id}`);
    await onB.waitForEvents(1);
    await instances.splice(instances.indexOf(a), 1)[0].close();
    await feed.tornDown.promise;
    await onB.waitForEnd();
    expect(finalWord(onB)).toEqual({
      reason: 'error',
      status: 503,
      message: 'Service Unavailable',
      outcome: 'shutdown',
    });
  });
});
