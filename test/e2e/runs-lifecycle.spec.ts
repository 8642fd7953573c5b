import { randomUUID } from 'node:crypto';
import { HttpException, HttpStatus } from '@nestjs/common';
import { EventSource } from 'eventsource';
import { filter, firstValueFrom } from 'rxjs';
import { InMemorySseBroker } from 'nestjs-event-stream/broker';
import { openEventStream, type TestEventStream } from 'nestjs-event-stream/testing';
import { startRunsApp, type RunsInstance } from '../src/runs/runs-app.js';
import { FaultyBroker } from '../src/runs/faulty-broker.js';
import { TestEventSource } from '../utils/event-source-client.js';
import { watchLibraryHandles } from '../src/runs/library-handles.js';

/** A state channel of a run: where its start, cancel and end are recorded. */
const stateChannel = (channel: string) => channel.startsWith('run-state:');

/** The data of the message events of a stream (the run's tokens), in order. */
const tokens = (stream: TestEventStream) => stream.events.filter((e) => e.type === 'message').map((e) => e.data);
/** The final word of a stream, parsed. */
const finalWord = (stream: TestEventStream) => {
  const word = stream.events.filter((e) => e.type === 'sse-end').at(-1);
  return word && (JSON.parse(word.data) as Record<string, unknown>);
};

describe('SseRuns on one instance: runs that outlive their connection', () => {
  let instance: RunsInstance;
  const streams: TestEventStream[] = [];

  const open = async (path: string, options: Parameters<typeof openEventStream>[2] = {}) => {
    const stream = await openEventStream(instance.app, path, { decode: 'text', ...options });
    streams.push(stream);
    return stream;
  };
  const post = (id: string) => open('/runs', { method: 'POST', headers: { 'idempotency-key': id } });

  async function restart(
    runs: Parameters<typeof startRunsApp>[0] = {},
    options: Parameters<typeof startRunsApp>[1] = {},
  ) {
    await instance?.close();
    instance = await startRunsApp(runs, options);
  }
  const startOnly = (id: string, headers: Record<string, string> = {}) =>
    fetch(`${instance.url}/runs/start`, { method: 'POST', headers: { 'idempotency-key': id, ...headers } });

  beforeAll(() => restart());

  afterEach(() => {
    streams.splice(0).forEach((stream) => stream.close());
  });

  afterAll(() => instance.close());

  it('a POST starts a run and streams its events, then the final word completed, and the server ends it', async () => {
    const id = randomUUID();
    const stream = await post(id);
    expect(stream.status).toBe(200);
    const feed = await instance.source.started(id);
    feed.emit('a', 'b', 'c');
    await stream.waitForEvents(3);
    feed.complete();
    await stream.waitForEnd();
    expect(tokens(stream)).toEqual(['a', 'b', 'c']);
    expect(finalWord(stream)).toEqual({ reason: 'completed' });
    expect(stream.endedBy).toBe('server');
  });

  it('a disconnect does not stop the run; a GET with Last-Event-ID gets what it missed, then the rest live, then completed', async () => {
    const id = randomUUID();
    const calls = instance.source.calls;
    const first = await post(id);
    const feed = await instance.source.started(id);
    feed.emit('t0', 't1', 't2');
    await first.waitForEvents(3);
    const seen = first.lastEventId;
    first.close();
    await first.ended;
    feed.emit('t3', 't4');
    const resumed = await open(`/runs/${id}`, { lastEventId: seen });
    await resumed.waitForEvents(2);
    feed.emit('t5');
    await resumed.waitForEvents(3);
    feed.complete();
    await resumed.waitForEnd();
    expect([...tokens(first), ...tokens(resumed)]).toEqual(['t0', 't1', 't2', 't3', 't4', 't5']);
    expect(finalWord(resumed)).toEqual({ reason: 'completed' });
    expect(instance.source.calls).toBe(calls + 1);
  });

  it('two listeners (two tabs) both get every event; one without Last-Event-ID gets the run from its start', async () => {
    const id = randomUUID();
    const tab1 = await post(id);
    const feed = await instance.source.started(id);
    feed.emit('x', 'y');
    await tab1.waitForEvents(2);
    const tab2 = await open(`/runs/${id}`);
    await tab2.waitForEvents(2);
    feed.emit('z');
    feed.complete();
    await Promise.all([tab1.waitForEnd(), tab2.waitForEnd()]);
    expect(tokens(tab1)).toEqual(['x', 'y', 'z']);
    expect(tokens(tab2)).toEqual(['x', 'y', 'z']);
    expect(tab2.events.map((e) => e.id)).toEqual([...tab1.events.map((e) => e.id)]);
  });

  it('after the end, a late client gets the whole recording then completed; one that has every event gets 204', async () => {
    const id = randomUUID();
    const first = await post(id);
    const feed = await instance.source.started(id);
    feed.emit('one', 'two');
    feed.complete();
    await first.waitForEnd();
    const late = await open(`/runs/${id}`);
    await late.waitForEnd();
    expect(tokens(late)).toEqual(['one', 'two']);
    expect(finalWord(late)).toEqual({ reason: 'completed' });
    const caughtUp = await open(`/runs/${id}`, { lastEventId: first.lastEventId });
    expect(caughtUp.status).toBe(204);
  });

  it('a retried POST with the same idempotency key joins the run: one producer call, the same events from the start', async () => {
    const id = randomUUID();
    const calls = instance.source.calls;
    const first = await post(id);
    const feed = await instance.source.started(id);
    feed.emit('p', 'q');
    await first.waitForEvents(2);
    first.close();
    const retry = await post(id);
    await retry.waitForEvents(2);
    feed.emit('r');
    feed.complete();
    await retry.waitForEnd();
    expect(tokens(retry)).toEqual(['p', 'q', 'r']);
    expect(instance.source.calls).toBe(calls + 1);
  });

  it('DELETE cancels a run: its producer is torn down, its signal aborts, and its listener gets completed with outcome cancelled', async () => {
    const id = randomUUID();
    const listener = await post(id);
    const feed = await instance.source.started(id);
    feed.emit('before');
    await listener.waitForEvents(1);
    const response = await fetch(`${instance.url}/runs/${id}`, { method: 'DELETE' });
    expect(response.status).toBe(204);
    await feed.tornDown.promise;
    expect(feed.signal?.aborted).toBe(true);
    await listener.waitForEnd();
    expect(tokens(listener)).toEqual(['before']);
    expect(finalWord(listener)).toEqual({ reason: 'completed', outcome: 'cancelled' });
    const again = await fetch(`${instance.url}/runs/${id}`, { method: 'DELETE' });
    expect(again.status).toBe(404);
  });

  it('cancelling an AsyncIterable producer aborts the signal it waits on: the generator leaves by its finally block', async () => {
    const id = randomUUID();
    const listener = await open('/runs/words', { method: 'POST', headers: { 'idempotency-key': id } });
    await listener.waitForEvents(3);
    expect(await instance.runs.cancel(id)).toBe(true);
    expect(await instance.source.whenFinished(id)).toBe('AbortError');
    await listener.waitForEnd();
    expect(tokens(listener).slice(0, 3)).toEqual(['w0', 'w1', 'w2']);
    expect(finalWord(listener)).toEqual({ reason: 'completed', outcome: 'cancelled' });
    expect(instance.runs.running).toBe(0);
  });

  it('an AsyncIterable that arrives after its run was cancelled is told to return (what it holds is released)', async () => {
    const id = randomUUID();
    let arrive!: (source: AsyncIterable<string>) => void;
    let returned!: () => void;
    const released = new Promise<void>((resolve) => (returned = resolve));
    const iterable: AsyncIterable<string> = {
      [Symbol.asyncIterator]: () => ({
        next: () => Promise.resolve({ done: true as const, value: undefined }),
        return: () => {
          returned();
          return Promise.resolve({ done: true as const, value: undefined });
        },
      }),
    };
    // A model client that takes its time to answer with its stream.
    const started = await instance.runs.start(
      () => new Promise<AsyncIterable<string>>((resolve) => (arrive = resolve)),
      {
        id,
      },
    );
    expect(started).toEqual({ id, created: true });
    expect(await instance.runs.cancel(id)).toBe(true);
    arrive(iterable);
    await released;
    const late = await open(`/runs/${id}`);
    await late.waitForEnd();
    expect(finalWord(late)).toEqual({ reason: 'completed', outcome: 'cancelled' });
  });

  it('answers 400 naming the rule for a bad run id, and 204 for a run that does not exist', async () => {
    const bad = await fetch(`${instance.url}/runs/${encodeURIComponent('no spaces')}`);
    expect(bad.status).toBe(400);
    expect(((await bad.json()) as { message: string }).message).toMatch(/letters, digits, '-' or '_'/);
    const badKey = await fetch(`${instance.url}/runs/start`, { method: 'POST', headers: { 'idempotency-key': 'a/b' } });
    expect(badKey.status).toBe(400);
    const unknown = await open(`/runs/${randomUUID()}`);
    expect(unknown.status).toBe(204);
  });

  it('a run of another owner is not found: its id alone leads nowhere', async () => {
    const id = randomUUID();
    const started = await fetch(`${instance.url}/runs/start`, {
      method: 'POST',
      headers: { 'idempotency-key': id, 'x-owner': 'alice' },
    });
    expect(await started.json()).toEqual({ id, created: true });
    const feed = await instance.source.started(id);
    const mallory = await open(`/runs/${id}`, { headers: { 'x-owner': 'mallory' } });
    expect(mallory.status).toBe(204);
    const anonymous = await fetch(`${instance.url}/runs/${id}`, { method: 'DELETE' });
    expect(anonymous.status).toBe(404);
    const alice = await open(`/runs/${id}`, { headers: { 'x-owner': 'alice' } });
    feed.emit('mine');
    feed.complete();
    await alice.waitForEnd();
    expect(tokens(alice)).toEqual(['mine']);
  });

  it('a producer that fails ends the run with the final word error, its HttpException message and status, and outcome failed', async () => {
    const id = randomUUID();
    const listener = await post(id);
    const feed = await instance.source.started(id);
    feed.emit('partial');
    feed.fail(new HttpException('The model refused', HttpStatus.BAD_GATEWAY));
    await listener.waitForEnd();
    expect(tokens(listener)).toEqual(['partial']);
    expect(finalWord(listener)).toEqual({
      reason: 'error',
      status: 502,
      message: 'The model refused',
      outcome: 'failed',
    });
    // It has every event: a reconnect (what EventSource does after an error) is told 204, and stops.
    const reconnect = await open(`/runs/${id}`, { lastEventId: listener.lastEventId });
    expect(reconnect.status).toBe(204);
  });

  it('a failure that is not an HttpException tells the client only a 500', async () => {
    const id = randomUUID();
    const listener = await post(id);
    (await instance.source.started(id)).fail(new Error('secret internals at 10.0.0.1'));
    await listener.waitForEnd();
    expect(finalWord(listener)).toEqual({
      reason: 'error',
      status: 500,
      message: 'Internal server error',
      outcome: 'failed',
    });
    expect(listener.text).not.toContain('10.0.0.1');
  });

  it('an empty owner is refused with 400 by the app, and SseRuns names the owner rule for a bad one', async () => {
    const empty = await startOnly(randomUUID(), { 'x-owner': '' });
    expect(empty.status).toBe(400);
    await expect(instance.runs.start(() => [], { owner: '' })).rejects.toThrow(
      /"owner" must be a non-empty string or a number/,
    );
  });

  it('app.close() with a run in flight and a listener on it leaves no socket or timer of the library behind', async () => {
    const watch = watchLibraryHandles();
    const own = await startRunsApp();
    const id = randomUUID();
    const listener = await openEventStream(own.app, '/runs', {
      method: 'POST',
      headers: { 'idempotency-key': id },
      decode: 'text',
    });
    const feed = await own.source.started(id);
    feed.emit('in flight');
    await listener.waitForEvents(1);
    await own.close();
    await feed.tornDown.promise;
    await listener.ended;
    expect(await watch.stop()).toEqual([]);
  });

  it('refuses to start on a broker that keeps no history, naming the option (instead of a 409 for every start)', async () => {
    await expect(startRunsApp({}, { history: { maxEvents: 0 } })).rejects.toThrow(
      /SseRunsModule needs a broker that stores channel history .* \(history\.maxEvents \/ maxEvents 0\?\)/,
    );
  });

  describe('when the broker fails during a start (a real broker with faults injected)', () => {
    let faulty: FaultyBroker;

    beforeAll(async () => {
      faulty = new FaultyBroker(new InMemorySseBroker());
      await restart({}, { broker: faulty });
    });
    afterAll(() => restart());

    it('a start record stored but not acknowledged (maybePublished) still starts the run once; a retry joins it', async () => {
      const id = randomUUID();
      const calls = instance.source.calls;
      faulty.failNextPublishAfterStoring(stateChannel);
      const started = await startOnly(id);
      expect(started.status).toBe(201);
      expect(await started.json()).toEqual({ id, created: true });
      const retry = await startOnly(id);
      expect(await retry.json()).toEqual({ id, created: false });
      const feed = await instance.source.started(id);
      const listener = await open(`/runs/${id}`);
      feed.emit('made');
      feed.complete();
      await listener.waitForEnd();
      expect(tokens(listener)).toEqual(['made']);
      expect(finalWord(listener)).toEqual({ reason: 'completed' });
      expect(instance.source.calls).toBe(calls + 1);
    });

    it('a failed read of the state after the start record is retried: the run starts once', async () => {
      const id = randomUUID();
      const calls = instance.source.calls;
      faulty.failNextRead(stateChannel);
      const listener = await post(id);
      expect(listener.status).toBe(200);
      const feed = await instance.source.started(id);
      feed.emit('read');
      feed.complete();
      await listener.waitForEnd();
      expect(tokens(listener)).toEqual(['read']);
      expect(instance.source.calls).toBe(calls + 1);
    });

    it('a cancel that arrives live while the start reads its state is kept: the run ends cancelled, its producer never called', async () => {
      const id = randomUUID();
      faulty.beforeNextReadAnswers(stateChannel, async () => {
        expect(await instance.runs.cancel(id)).toBe(true);
      });
      expect((await startOnly(id)).status).toBe(201);
      const late = await open(`/runs/${id}`);
      await late.waitForEnd();
      expect(finalWord(late)).toEqual({ reason: 'completed', outcome: 'cancelled' });
      // Cancelled before its producer was called: it never was (no generation to pay for), and nothing runs.
      expect(instance.source.has(id)).toBe(false);
      expect(instance.runs.running).toBe(0);
    });

    it('a preset whose encoder throws fails the run (its listeners are told) instead of leaving its id without a producer', async () => {
      const id = randomUUID();
      const first = await open('/runs/broken-preset', { method: 'POST', headers: { 'idempotency-key': id } });
      expect(first.status).toBe(200);
      await first.waitForEnd();
      expect(finalWord(first)).toEqual({
        reason: 'error',
        status: 500,
        message: 'Internal server error',
        outcome: 'failed',
      });
      const retry = await open('/runs/broken-preset', { method: 'POST', headers: { 'idempotency-key': id } });
      await retry.waitForEnd();
      expect(finalWord(retry)).toMatchObject({ reason: 'error', outcome: 'failed' });
    });
  });

  describe("on a broker whose byte budget evicts the oldest events (another channel's traffic)", () => {
    let broker: InMemorySseBroker;

    beforeAll(async () => {
      broker = new InMemorySseBroker({ maxBytes: 64 * 1024 });
      await restart({ idleTimeoutMs: 300 }, { broker });
    });
    afterAll(() => restart());

    it('a running run is still found after its start record was evicted: it records its state again, and resumes', async () => {
      const id = randomUUID();
      const first = await post(id);
      const feed = await instance.source.started(id);
      feed.emit('before');
      await first.waitForEvents(1);
      const before = first.lastEventId;
      // 200 KB on another channel: three times the budget, so the run's start record and first token are evicted.
      const filler = `data: ${'x'.repeat(1000)}\n\n`;
      for (let i = 0; i < 200; i++) broker.publish('elsewhere', filler);
      // The run records its state again every third of idleTimeoutMs: wait for that record.
      await firstValueFrom(
        broker.messages$.pipe(filter((message) => message.type === 'channel' && stateChannel(message.channel))),
      );
      const resumed = await open(`/runs/${id}`, { lastEventId: before });
      expect(resumed.status).toBe(200);
      feed.emit('after');
      feed.complete();
      await Promise.all([first.waitForEnd(), resumed.waitForEnd()]);
      expect(tokens(resumed)).toEqual(['after']);
      expect(finalWord(resumed)).toEqual({ reason: 'completed' });
      // Ended, with its start long gone: its end record alone tells the run's state.
      const caughtUp = await open(`/runs/${id}`, { lastEventId: resumed.lastEventId });
      expect(caughtUp.status).toBe(204);
      const late = await open(`/runs/${id}`, { lastEventId: before });
      await late.waitForEnd();
      expect(tokens(late)).toEqual(['after']);
    });
  });

  describe('with an allow-list channel authorizer (auth.canJoin)', () => {
    beforeAll(() =>
      restart({}, { auth: { canJoin: (_user: unknown, channel: string) => channel.startsWith('room:') } }),
    );
    afterAll(() => restart());

    it("listen() joins the run's channel without asking the app's authorizer (runs check their owners)", async () => {
      const id = randomUUID();
      const listener = await post(id);
      expect(listener.status).toBe(200);
      const feed = await instance.source.started(id);
      feed.emit('allowed');
      feed.complete();
      await listener.waitForEnd();
      expect(tokens(listener)).toEqual(['allowed']);
      const room = await open('/channels/room:1');
      expect(room.status).toBe(200);
      const refused = await fetch(`${instance.url}/channels/lobby`);
      expect(refused.status).toBe(403);
    });
  });

  it('the public join and publish refuse the reserved run channels with 400 naming the rule', async () => {
    const id = randomUUID();
    const listener = await post(id);
    const feed = await instance.source.started(id);
    for (const name of [`run:${id}`, `run-state:${id}`, 'sse-runs:leases']) {
      const joined = await fetch(`${instance.url}/channels/${name}`);
      expect(joined.status).toBe(400);
      expect(((await joined.json()) as { message: string }).message).toMatch(
        /is reserved: names starting with "run:", "run-state:", "sse-runs:" belong to resumable runs/,
      );
      const forged = await fetch(`${instance.url}/channels/${name}`, {
        method: 'POST',
        headers: { 'content-type': 'application/json' },
        body: JSON.stringify({ data: ': {"t":"cancel","at":1}' }),
      });
      expect(forged.status).toBe(400);
    }
    feed.emit('untouched');
    feed.complete();
    await listener.waitForEnd();
    expect(tokens(listener)).toEqual(['untouched']);
    expect(finalWord(listener)).toEqual({ reason: 'completed' });
  });

  describe('with a short retry hint', () => {
    beforeAll(() => restart({}, { retryMs: 50 }));
    afterAll(() => restart());

    it('an EventSource of a run that recorded no event stops after its end: its reconnect is answered 204', async () => {
      const id = randomUUID();
      expect((await startOnly(id)).status).toBe(201);
      (await instance.source.started(id)).complete();
      const statuses: number[] = [];
      const client = new TestEventSource(`${instance.url}/runs/${id}`, {
        types: ['sse-end'],
        fetch: async (url, init) => {
          const response = await fetch(url, init);
          statuses.push(response.status);
          return response;
        },
      });
      try {
        await client.waitFor((c) => statuses.length >= 2 || c.source.readyState === EventSource.CLOSED, 'a reconnect');
        await client.waitFor((c) => c.source.readyState === EventSource.CLOSED || statuses.length >= 3, 'the end');
        expect(statuses.slice(0, 2)).toEqual([200, 204]);
        expect(client.source.readyState).toBe(EventSource.CLOSED);
        expect(client.events.map((event) => event.type)).toEqual(['sse-end']);
      } finally {
        client.close();
      }
    });
  });

  describe('with short timeouts', () => {
    beforeAll(() => restart({ idleTimeoutMs: 300, expireAfterMs: 400, maxRuns: 2 }));
    afterAll(() => restart());

    it('a run with no listener for idleTimeoutMs stops (teardown runs), and a late client gets outcome idle', async () => {
      const id = randomUUID();
      const started = await fetch(`${instance.url}/runs/start`, { method: 'POST', headers: { 'idempotency-key': id } });
      expect(started.status).toBe(201);
      const feed = await instance.source.started(id);
      feed.emit('alone');
      await feed.tornDown.promise;
      const late = await open(`/runs/${id}`);
      await late.waitForEnd();
      expect(tokens(late)).toEqual(['alone']);
      expect(finalWord(late)).toEqual({ reason: 'completed', outcome: 'idle' });
    });

    it('a listener keeps a run alive past idleTimeoutMs', async () => {
      const id = randomUUID();
      const listener = await post(id);
      const feed = await instance.source.started(id);
      feed.emit('1');
      await listener.waitForEvents(1);
      // The clock: a run started later with no listener goes idle; three of them in a row span three idle periods.
      for (let i = 2; i <= 4; i++) {
        const clock = randomUUID();
        expect((await startOnly(clock)).status).toBe(201);
        await (
          await instance.source.started(clock)
        ).tornDown.promise;
        feed.emit(String(i));
        await listener.waitForEvents(i);
      }
      expect(feed.signal?.aborted).toBe(false);
      feed.complete();
      await listener.waitForEnd();
      expect(finalWord(listener)).toEqual({ reason: 'completed' });
    });

    it('after expireAfterMs a GET is 204 and a POST with the same key is 409', async () => {
      const id = randomUUID();
      const listener = await post(id);
      (await instance.source.started(id)).complete();
      await listener.waitForEnd();
      await new Promise((resolve) => setTimeout(resolve, 450));
      const late = await open(`/runs/${id}`);
      expect(late.status).toBe(204);
      const again = await fetch(`${instance.url}/runs/start`, { method: 'POST', headers: { 'idempotency-key': id } });
      expect(again.status).toBe(409);
      expect(((await again.json()) as { message: string }).message).toMatch(/expired; start a new run/);
    });

    it('past maxRuns a start is refused with 503', async () => {
      const ids = [randomUUID(), randomUUID()];
      const listeners = await Promise.all(ids.map((id) => post(id)));
      const third = await fetch(`${instance.url}/runs/start`, { method: 'POST' });
      expect(third.status).toBe(503);
      expect(((await third.json()) as { message: string }).message).toMatch(/maximum of 2 runs \(maxRuns\)/);
      for (const id of ids) (await instance.source.started(id)).complete();
      await Promise.all(listeners.map((listener) => listener.waitForEnd()));
    });
  });
});
