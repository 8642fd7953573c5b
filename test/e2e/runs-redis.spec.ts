import { randomUUID } from 'node:crypto';
import { parseJsonEventStream, uiMessageChunkSchema, type UIMessageChunk } from 'ai';
import { Stream } from 'openai/streaming';
import { openEventStream, type TestEventStream } from 'nestjs-event-stream/testing';
import { RedisSseBroker } from 'nestjs-event-stream/redis';
import { startRunsApp, type RunsInstance } from '../src/runs/runs-app.js';
import { FaultyBroker } from '../src/runs/faulty-broker.js';
import { deleteKeys, randomPrefix, REDIS_URL } from '../utils/redis.js';

const sleep = (ms: number) => new Promise((resolve) => setTimeout(resolve, ms));

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
  /** The brokers of A and B: real Redis brokers, through which a test can cut an instance off. */
  const brokers: Record<'a' | 'b', FaultyBroker> = {} as never;

  async function start(runs: Parameters<typeof startRunsApp>[0] = {}) {
    const keyPrefix = `${prefix}${++namespaces}:`;
    const make = async (name: 'a' | 'b') => {
      const broker = new RedisSseBroker({
        url: REDIS_URL,
        keyPrefix,
        redisOptions: { connectionName: `${keyPrefix}${name}` },
      });
      brokers[name] = new FaultyBroker(broker);
      const instance = await startRunsApp(runs, { broker: brokers[name] });
      instances.push(instance);
      return instance;
    };
    [a, b] = await Promise.all([make('a'), make('b')]);
  }

  /** Closes one instance now (the others stay for the test). */
  const shutDown = (instance: RunsInstance) => instances.splice(instances.indexOf(instance), 1)[0].close();

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
    await shutDown(a);
    await feed.tornDown.promise;
    await onB.waitForEnd();
    expect(finalWord(onB)).toEqual({
      reason: 'error',
      status: 503,
      message: 'Service Unavailable',
      outcome: 'shutdown',
    });
  });

  it('a listener that comes to B late in the idle window keeps the run on A alive: B leases it at once', async () => {
    await start({ idleTimeoutMs: 1000 });
    const id = randomUUID();
    expect((await fetch(`${a.url}/runs/start`, { method: 'POST', headers: { 'idempotency-key': id } })).status).toBe(
      201,
    );
    const feed = await a.source.started(id);
    // Most of an idle window with no listener anywhere (the time itself is what is tested), then one on B.
    await sleep(800);
    const onB = await open(b, `/runs/${id}`);
    // More than another idle window with the listener on B: the run goes on.
    for (let i = 0; i < 4; i++) {
      feed.emit(String(i));
      await onB.waitForEvents(i + 1);
      await sleep(300);
    }
    expect(feed.signal?.aborted).toBe(false);
    feed.complete();
    await onB.waitForEnd();
    expect(finalWord(onB)).toEqual({ reason: 'completed' });
  });

  it('a run whose instance stops recording (crashed, cut off) ends for its listeners elsewhere: error 503, outcome lost', async () => {
    await start({ idleTimeoutMs: 600 });
    const id = randomUUID();
    expect((await fetch(`${a.url}/runs/start`, { method: 'POST', headers: { 'idempotency-key': id } })).status).toBe(
      201,
    );
    const feed = await a.source.started(id);
    feed.emit('last words');
    const onB = await open(b, `/runs/${id}`, { timeoutMs: 10_000 });
    await onB.waitForEvents(1);
    brokers.a.die();
    await onB.waitForEnd();
    const lost = { reason: 'error', status: 503, message: 'Service Unavailable', outcome: 'lost' };
    expect(tokens(onB)).toEqual(['last words']);
    expect(finalWord(onB)).toEqual(lost);
    // B recorded that end: a late listener gets the recording and the same word at once; one with every event, 204.
    const late = await open(b, `/runs/${id}`);
    await late.waitForEnd();
    expect(tokens(late)).toEqual(['last words']);
    expect(finalWord(late)).toEqual(lost);
    expect((await open(b, `/runs/${id}`, { lastEventId: late.lastEventId })).status).toBe(204);
  });

  it("a preset listener that B ends early (shutdown) is told in the preset's format: openai's reader throws", async () => {
    await start();
    const id = randomUUID();
    const post = new AbortController();
    const onA = await fetch(`${a.url}/v1/chat/completions`, {
      method: 'POST',
      headers: { 'content-type': 'application/json' },
      body: JSON.stringify({ id }),
      signal: post.signal,
    });
    expect(onA.status).toBe(200);
    const feed = await a.source.started(id);
    post.abort();
    const resumed = await fetch(`${b.url}/v1/chat/completions/${id}`);
    const chunks = Stream.fromSSEResponse<{ choices: { delta: { content?: string } }[] }>(
      resumed,
      new AbortController(),
    )[Symbol.asyncIterator]();
    feed.emit('partial');
    expect((await chunks.next()).value?.choices[0].delta.content).toBe('partial');
    const closing = shutDown(b);
    await expect(chunks.next()).rejects.toThrow(/interrupted/);
    await closing;
    feed.complete();
  });

  it('an AI SDK listener that B ends early (shutdown) gets an error chunk, not a silent end the SDK takes for done', async () => {
    await start();
    const id = randomUUID();
    const post = new AbortController();
    await fetch(`${a.url}/api/chat`, {
      method: 'POST',
      headers: { 'content-type': 'application/json' },
      body: JSON.stringify({ id }),
      signal: post.signal,
    });
    const feed = await a.source.started(id);
    post.abort();
    const resumed = await fetch(`${b.url}/api/chat/${id}/stream`);
    const reader = parseJsonEventStream({ stream: resumed.body!, schema: uiMessageChunkSchema }).getReader();
    const chunks: UIMessageChunk[] = [];
    feed.emit('partial');
    while (!chunks.some((chunk) => chunk.type === 'text-delta')) {
      const { value } = await reader.read();
      if (value?.success) chunks.push(value.value);
    }
    const closing = shutDown(b);
    for (;;) {
      const { done, value } = await reader.read();
      if (done) break;
      if (value.success) chunks.push(value.value);
    }
    await closing;
    feed.complete();
    expect(chunks.at(-1)).toMatchObject({ type: 'error', errorText: expect.stringMatching(/interrupted/) });
  });
});
