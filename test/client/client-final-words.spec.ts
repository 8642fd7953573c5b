import { Test } from '@nestjs/testing';
import type { AddressInfo } from 'node:net';
import { EventStreamClient } from 'nestjs-event-stream/client';
import { SseHub, SseModule, sseEvent } from '../../lib/index.js';
import { publishTicks } from '../utils/publish.js';
import { createTestApplication, startApp } from '../utils/test-app.js';
import { waitForHub } from 'nestjs-event-stream/testing';
import { recordClient } from '../src/client/client-recorder.js';
import { FAST, useConformanceApp } from '../src/client/conformance-app.js';
import {
  CONFORMANCE_OPTIONS,
  ConformanceController,
  resetConformance,
  seen,
  type ConformanceEvents,
} from '../src/client/conformance.controller.js';

/** The hub's `tick` events carry their number as text: the client decodes them with `decode: 'text'`. */
interface HubEvents {
  tick: string;
}

describe('the typed client and the final word: what it closes on, what it resumes after', () => {
  const conformance = useConformanceApp();
  const { connect } = conformance;

  it("'completed': typed events in order, then closed for good with the final word; no reconnect", async () => {
    const client = connect<ConformanceEvents>('/ticks');
    const record = recordClient(client, ['tick']);
    const sum: number[] = [];
    const off = client.on('tick', (data, event) => sum.push(data.n + Number(event.lastEventId === `t${data.n}`)));
    const closed = await client.closed;
    off();
    expect(closed).toEqual({ reason: 'completed', end: { reason: 'completed' } });
    expect(record.events).toEqual(
      [0, 1, 2].map((n) => ({ type: 'tick', data: { n }, id: `t${n}`, lastEventId: `t${n}` })),
    );
    expect(sum).toEqual([1, 2, 3]);
    expect(record.ends).toEqual([{ reason: 'completed' }]);
    expect(record.states.map((s) => s.state)).toEqual(['open', 'closed']);
    expect(seen.filter((r) => r.route === 'ticks')).toHaveLength(1);
    expect(client.lastEventId).toBe('t2');
  });

  it("'revoked': closed for good; the client does not come back", async () => {
    const client = connect<HubEvents>('/feed', { headers: { 'x-user': 'ann' }, decode: 'text' });
    await waitForHub(conformance.hub, () => conformance.hub.count('feed') === 1);
    await conformance.hub.revoke({ userId: 'ann' });
    expect(await client.closed).toEqual({ reason: 'revoked', end: { reason: 'revoked' } });
    expect(seen.filter((r) => r.route === 'feed')).toHaveLength(1);
  });

  it("'disconnected': reconnects with Last-Event-ID and resumes, losing nothing published meanwhile", async () => {
    const client = connect<HubEvents>('/feed', { decode: 'text' });
    const record = recordClient(client, ['tick']);
    await waitForHub(conformance.hub, () => conformance.hub.count('feed') === 1);
    await publishTicks(conformance.hub, 'feed', 2);
    await record.waitFor(() => record.events.length === 2, 'two ticks');
    const position = client.lastEventId;
    expect(await conformance.hub.disconnect(() => true)).toBe(1);
    await record.waitFor(() => record.ends.length === 1, 'the final word');
    await publishTicks(conformance.hub, 'feed', 3);
    await record.waitFor(() => record.events.length === 5, 'five ticks');
    expect(record.events.map((e) => e.data)).toEqual(['0', '1', '0', '1', '2']);
    expect(record.ends).toEqual([{ reason: 'disconnected' }]);
    expect(seen.map((r) => r.lastEventId)).toEqual([null, position]);
    expect(record.states.map((s) => s.state)).toEqual(['open', 'reconnecting', 'open']);
    expect(record.errors).toEqual([]);
  });

  it("'lifetime': 10 reconnects and more while publishing, resuming each time, every event once and in order", async () => {
    const client = connect<HubEvents>('/short-lived', { decode: 'text' });
    const record = recordClient(client, ['tick']);
    await waitForHub(conformance.hub, () => conformance.hub.count('ticks') === 1);
    // Publishes (one event every 5 ms or so) until the client has reconnected 10 times, and a little after.
    const published: string[] = [];
    const reconnects = () => seen.filter((r) => r.route === 'short-lived').length - 1;
    for (let after = 0; after < 10; after += reconnects() >= 10 ? 1 : 0) {
      published.push(String(published.length));
      await conformance.hub.publish('ticks', sseEvent({ event: 'tick', data: published.at(-1)! }));
      await new Promise((resolve) => setTimeout(resolve, 5));
    }
    await record.waitFor(() => record.events.length >= published.length, 'every tick');
    expect(record.events.map((e) => e.data)).toEqual(published);
    expect(record.ends.length).toBeGreaterThanOrEqual(10);
    expect(record.ends.every((end) => end.reason === 'lifetime')).toBe(true);
    const requests = seen.filter((r) => r.route === 'short-lived');
    expect(requests.length).toBeGreaterThanOrEqual(11);
    expect(requests[0].lastEventId).toBeNull();
    expect(requests.slice(1).every((r) => r.lastEventId !== null && r.lastEventId !== '')).toBe(true);
    expect(record.errors).toEqual([]);
    // Every id the client saw, once: no event came twice across the reconnects.
    const ids = record.events.map((e) => e.id);
    expect(new Set(ids).size).toBe(ids.length);
  });

  it("'auth-expired': the headers function is called before every connect and the reconnect carries the fresh token", async () => {
    let n = 0;
    const client = connect<HubEvents>('/authed', {
      decode: 'text',
      headers: async () => ({ authorization: `Bearer ${n < 2 ? 'short' : 'long'}-${n++}` }),
    });
    const record = recordClient(client, ['tick']);
    await record.waitFor(() => seen.filter((r) => r.route === 'authed').length === 3, 'the third connect');
    await waitForHub(conformance.hub, () => conformance.hub.count('authed') === 1);
    await publishTicks(conformance.hub, 'authed', 1);
    await record.waitFor(() => record.events.length === 1, 'a tick on the fresh token');
    expect(seen.map((r) => r.authorization)).toEqual(['Bearer short-0', 'Bearer short-1', 'Bearer long-2']);
    expect(record.ends.map((e) => e.reason)).toEqual(['auth-expired', 'auth-expired']);
    expect(typeof record.ends[0].expiredAt).toBe('string');
    // Each reconnect resumes from the position the id-only block of the first connect gave.
    expect(seen[0].lastEventId).toBeNull();
    expect(seen[1].lastEventId).toMatch(/^[a-z0-9]+\.\d+$/);
  });

  it("'error': reconnects with backoff and resumes (the error reported), then closes on 'completed'", async () => {
    const client = connect<ConformanceEvents>('/fail-once');
    const record = recordClient(client, ['step']);
    const closed = await client.closed;
    expect(closed.reason).toBe('completed');
    expect(record.events.map((e) => e.data.step)).toEqual([1, 2]);
    expect(record.ends.map((e) => e.reason)).toEqual(['error', 'completed']);
    expect(record.errors.map((e) => [e.code, e.status])).toEqual([['final-word', 500]]);
    expect(record.errors[0].message).toMatch(/ended the stream with an error \(500 Internal server error\)/);
    expect(seen.map((r) => r.lastEventId)).toEqual([null, 's1']);
  });

  it('a stream that ends with no final word (a plain server): reconnects, with Last-Event-ID', async () => {
    const client = connect<ConformanceEvents>('/no-final-word');
    const record = recordClient(client, ['step']);
    await record.waitFor(() => record.events.length >= 3, 'three streams');
    client.close();
    expect(record.events.slice(0, 3).map((e) => e.data.step)).toEqual([0, 1, 2]);
    expect(seen.slice(0, 3).map((r) => r.lastEventId)).toEqual([null, 'p0', 'p1']);
    expect(record.ends).toEqual([]);
    expect(record.errors).toEqual([]);
    expect(record.states.slice(0, 4).map((s) => s.state)).toEqual(['open', 'reconnecting', 'open', 'reconnecting']);
  });

  it("'sse-reset': surfaced to onReset with its data; the client then resumes from the hub's position", async () => {
    const client = connect<HubEvents>('/feed', { decode: 'text', lastEventId: 'zzzzzzzz.5' });
    const record = recordClient(client, ['tick']);
    let resetId: string | undefined;
    client.onReset((_data, event) => (resetId = event.id));
    await record.waitFor(() => record.resets.length === 1, 'the reset');
    expect(record.resets).toEqual([{ reason: 'unknown', lastEventId: 'zzzzzzzz.5' }]);
    expect(resetId).toMatch(/^[a-z0-9]+\.\d+$/);
    expect(client.lastEventId).toBe(resetId);
    expect(seen[0].lastEventId).toBe('zzzzzzzz.5');
    // The reset is no message of the map.
    expect(record.events).toEqual([]);
  });
});

describe("the typed client and 'shutdown': it reconnects to the next instance and resumes", () => {
  it('reconnects after the retry hint, sends Last-Event-ID, and learns of the new history by sse-reset', async () => {
    resetConformance();
    const first = await startApp({ controllers: [ConformanceController] }, CONFORMANCE_OPTIONS);
    const { port } = first.app.getHttpServer().address() as AddressInfo;
    const client = new EventStreamClient<HubEvents>(`${first.url}/feed`, { ...FAST, decode: 'text' });
    const record = recordClient(client, ['tick']);
    let second: Awaited<ReturnType<typeof createTestApplication>> | undefined;
    try {
      const firstHub = first.app.get(SseHub);
      await waitForHub(firstHub, () => firstHub.count('feed') === 1);
      await publishTicks(firstHub, 'feed', 1);
      await record.waitFor(() => record.events.length === 1, 'a tick');
      const position = client.lastEventId;
      await first.close();
      await record.waitFor(() => record.ends.length === 1, 'the final word');
      expect(record.ends).toEqual([{ reason: 'shutdown' }]);
      // The next instance on the same address (it may take a few failed connects to be there).
      const moduleRef = await Test.createTestingModule({
        imports: [SseModule.forRoot(CONFORMANCE_OPTIONS)],
        controllers: [ConformanceController],
      }).compile();
      second = await createTestApplication(moduleRef, { logger: false, forceCloseConnections: true });
      await second.listen(port, '127.0.0.1');
      await record.waitFor(() => record.resets.length === 1, 'the reset from the new instance');
      expect(seen.filter((r) => r.route === 'feed').map((r) => r.lastEventId)).toEqual([null, position]);
      expect(record.resets[0]).toEqual({ reason: 'unknown', lastEventId: position });
      expect(record.errors.every((e) => e.code === 'network')).toBe(true);
    } finally {
      client.close();
      await second?.close();
    }
  });
});
