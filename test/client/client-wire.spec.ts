import { EventStreamClient, type EventStreamMessage } from 'nestjs-event-stream/client';
import { sseEvent } from '../../lib/index.js';
import { waitForHub } from 'nestjs-event-stream/testing';
import { recordClient } from '../src/client/client-recorder.js';
import { FAST, useConformanceApp } from '../src/client/conformance-app.js';
import { seen, type ConformanceEvents } from '../src/client/conformance.controller.js';
import { openStream, startRawServer, type RawServer } from '../src/client/raw-server.js';

interface WireEvents {
  message: string;
  tick: string;
  open: string;
  error: string;
}

describe('the typed client on the wire', () => {
  let raw: RawServer | undefined;
  const conformance = useConformanceApp();
  const { track } = conformance;
  afterEach(async () => {
    await raw?.close();
    raw = undefined;
  });

  it('framing through the client: multi-line data joined with LF, empty data, falsy id 0, unicode, leading spaces', async () => {
    const client = track(
      new EventStreamClient<ConformanceEvents>(`${conformance.app.url}/framing`, { decode: 'text' }),
    );
    const record = recordClient(client, ['text']);
    expect((await client.closed).reason).toBe('completed');
    expect(record.events.map((e) => e.data)).toEqual([
      'one\ntwo\nthree\nfour',
      '',
      '0',
      '😀 é ü 中文 \u2028',
      '  two spaces kept, one after the colon eaten',
      ':not a comment',
    ]);
    expect(record.events[0].id).toBe('0');
    expect(record.events.map((e) => e.lastEventId)).toEqual(['0', '0', '0', '0', '0', '0']);
  });

  it('dispatches nothing for id-only blocks, retry-only blocks and comments; keeps the id; events named open and error are events', async () => {
    raw = await startRawServer((request, response, n) => {
      openStream(response);
      if (n > 0) {
        response.end(
          `data: resumed from ${request.headers['last-event-id']}\n\nevent: sse-end\ndata: {"reason":"completed"}\n\n`,
        );
        return;
      }
      response.write('retry: 15\r\n\r\n: hello\n:x\n\nid: only-1\n\n');
      response.write('id: only-2\r\rretry: 12a\n\n');
      response.write('event: open\ndata: o\n\nevent: error\ndata: e\n\n');
      response.write('event\ndata:  a\r\n\r\n'); // an empty event name is `message`, one space eaten
      response.end('id: last\n\n'); // then the stream ends with no final word: a reconnect
    });
    const client = track(new EventStreamClient<WireEvents>(`${raw.url}/`, { ...FAST, decode: 'text' }));
    const record = recordClient(client, ['message', 'tick', 'open', 'error']);
    expect((await client.closed).reason).toBe('completed');
    expect(record.events.map((e) => [e.type, e.data, e.lastEventId])).toEqual([
      ['open', 'o', 'only-2'],
      ['error', 'e', 'only-2'],
      ['message', ' a', 'only-2'],
      ['message', 'resumed from last', 'last'],
    ]);
    expect(raw.requests.map((r) => r.headers['last-event-id'])).toEqual([undefined, 'last']);
    expect(raw.requests[0].headers.accept).toBe('text/event-stream');
    expect(record.states.find((s) => s.state === 'reconnecting')?.retryInMs).toBe(15);
  });

  it('the watchdog: a server that sends headers and then nothing is given up after timeoutMs and reconnected', async () => {
    raw = await startRawServer((_request, response, n) => {
      openStream(response);
      if (n > 0) response.end('data: "alive"\n\nevent: sse-end\ndata: {"reason":"completed"}\n\n');
    });
    const client = track(new EventStreamClient<WireEvents>(`${raw.url}/`, { ...FAST, heartbeat: { timeoutMs: 150 } }));
    const record = recordClient(client, ['message']);
    const opened = Date.now();
    expect((await client.closed).reason).toBe('completed');
    expect(Date.now() - opened).toBeGreaterThanOrEqual(150);
    expect(record.errors.map((e) => e.code)).toEqual(['watchdog']);
    expect(record.errors[0].message).toMatch(/Nothing arrived on the event stream for 150 ms/);
    expect(record.events.map((e) => e.data)).toEqual(['alive']);
    expect(raw.requests).toHaveLength(2);
  });

  it('heartbeat comments keep the watchdog quiet', async () => {
    let beat: ReturnType<typeof setInterval> | undefined;
    raw = await startRawServer((_request, response) => {
      openStream(response);
      let beats = 0;
      beat = setInterval(() => {
        if (++beats < 8) response.write(':\n\n');
        else {
          clearInterval(beat);
          response.end('event: sse-end\ndata: {"reason":"completed"}\n\n');
        }
      }, 40);
    });
    const client = track(new EventStreamClient<WireEvents>(`${raw.url}/`, { ...FAST, heartbeat: { timeoutMs: 120 } }));
    const record = recordClient(client, []);
    expect((await client.closed).reason).toBe('completed');
    expect(record.errors).toEqual([]);
    expect(raw.requests).toHaveLength(1);
  });

  it('a dropped connection (socket destroyed mid-stream) reconnects with the last id', async () => {
    raw = await startRawServer((request, response, n) => {
      openStream(response);
      if (n === 0) {
        response.write('id: 7\ndata: "before"\n\ndata: "half an event, never dispatched"\n');
        setTimeout(() => response.socket?.destroy(), 20);
      } else {
        response.end(
          `data: ${JSON.stringify(request.headers['last-event-id'])}\n\nevent: sse-end\ndata: {"reason":"completed"}\n\n`,
        );
      }
    });
    const client = track(new EventStreamClient<WireEvents>(`${raw.url}/`, FAST));
    const record = recordClient(client, ['message']);
    expect((await client.closed).reason).toBe('completed');
    expect(record.events.map((e) => e.data)).toEqual(['before', '7']);
    expect(record.errors.map((e) => e.code)).toEqual(['network']);
  });

  it('POST with a body: the body is sent on every connect', async () => {
    const client = track(
      new EventStreamClient<ConformanceEvents>(`${conformance.app.url}/search`, {
        method: 'POST',
        headers: { 'content-type': 'application/json' },
        body: JSON.stringify({ topic: 'typed clients' }),
      }),
    );
    const record = recordClient(client, ['echo']);
    expect((await client.closed).reason).toBe('completed');
    expect(record.events.map((e) => e.data)).toEqual([
      { topic: 'typed clients', n: 1 },
      { topic: 'typed clients', n: 2 },
    ]);
  });

  it('an AbortSignal closes it for good, and the server sees the stream go', async () => {
    const controller = new AbortController();
    const client = track(new EventStreamClient<object>(`${conformance.app.url}/feed`, { signal: controller.signal }));
    const record = recordClient(client, []);
    await record.waitFor(() => client.state === 'open', 'the stream to open');
    await waitForHub(conformance.hub, () => conformance.hub.count('feed') === 1);
    controller.abort();
    expect(await client.closed).toEqual({ reason: 'aborted' });
    await waitForHub(conformance.hub, () => conformance.hub.count() === 0);
    const already = new EventStreamClient<object>(`${conformance.app.url}/feed`, { signal: controller.signal });
    expect(await already.closed).toEqual({ reason: 'aborted' });
    expect(seen.filter((r) => r.route === 'feed')).toHaveLength(1);
  });

  it('async iteration: typed events in order; the loop ends on completed', async () => {
    const client = track(new EventStreamClient<ConformanceEvents>(`${conformance.app.url}/ticks`));
    const got: number[] = [];
    for await (const event of client) {
      if (event.type === 'tick') got.push(event.data.n);
    }
    expect(got).toEqual([0, 1, 2]);
    expect((await client.closed).reason).toBe('completed');
  });

  it('async iteration: leaving the loop closes the client; a refusal throws from the loop', async () => {
    const client = track(new EventStreamClient<ConformanceEvents>(`${conformance.app.url}/feed`, { decode: 'text' }));
    await waitForHub(conformance.hub, () => conformance.hub.count('feed') === 1);
    void conformance.hub.publish('feed', sseEvent({ event: 'tick', data: 'x' }));
    for await (const event of client) {
      expect(event.type).toBe('tick');
      break;
    }
    expect(await client.closed).toEqual({ reason: 'closed' });
    await waitForHub(conformance.hub, () => conformance.hub.count() === 0);

    const refused = track(new EventStreamClient<ConformanceEvents>(`${conformance.app.url}/unauthorized`));
    await expect(
      (async () => {
        for await (const _event of refused) void _event;
      })(),
    ).rejects.toMatchObject({ code: 'status', status: 401 });
  });

  it('async iteration is bounded: while the queue holds maxQueued events the client stops reading, and its watchdog sleeps', async () => {
    const total = 2000;
    let written = 0;
    let backedUp!: () => void;
    const stalled = new Promise<void>((resolve) => (backedUp = resolve));
    raw = await startRawServer((request, response) => {
      openStream(response);
      if (request.url === '/silent') return; // headers, then nothing: the control client's watchdog fires
      const pump = () => {
        while (written < total) {
          const ok = response.write(`id: ${written}\ndata: ${JSON.stringify('x'.repeat(16_000))}\n\n`);
          written++;
          if (!ok) {
            backedUp();
            response.once('drain', pump);
            return;
          }
        }
        response.end('event: sse-end\ndata: {"reason":"completed"}\n\n');
      };
      pump();
    });
    const timeoutMs = 100;
    const client = track(new EventStreamClient<WireEvents>(`${raw.url}/`, { maxQueued: 10, heartbeat: { timeoutMs } }));
    const record = recordClient(client, []);
    const iterator = client[Symbol.asyncIterator]();
    const first = await iterator.next();
    expect(first.done).toBe(false);
    // Not reading: the server's writes back up (32 MB cannot all sit in buffers).
    await stalled;
    const stalledAt = written;
    // A client with the same watchdog on a silent stream: by its second timeout, a watchdog left armed would have fired.
    const control = track(new EventStreamClient<WireEvents>(`${raw.url}/silent`, { heartbeat: { timeoutMs } }));
    const controlRecord = recordClient(control, []);
    await controlRecord.waitFor(() => controlRecord.errors.length >= 2, 'two watchdog timeouts of the control');
    control.close();
    expect(controlRecord.errors.map((e) => e.code)).toEqual(['watchdog', 'watchdog']);
    expect(record.errors).toEqual([]);
    expect(written).toBe(stalledAt);
    expect(written).toBeLessThan(total);
    let received = 1;
    const ids: string[] = [first.value!.id!];
    for (let next = await iterator.next(); !next.done; next = await iterator.next()) {
      received++;
      ids.push((next.value as EventStreamMessage<WireEvents>).id!);
    }
    expect(received).toBe(total);
    expect(ids).toEqual(Array.from({ length: total }, (_, i) => String(i)));
    expect((await client.closed).reason).toBe('completed');
    expect(record.errors).toEqual([]);
    expect(raw.requests.filter((r) => r.url === '/')).toHaveLength(1);
  });

  it('decode: a function gets the data and the type; JSON that does not parse is reported and skipped', async () => {
    raw = await startRawServer((_request, response) => {
      openStream(response);
      response.end(
        'event: tick\ndata: {"n":1}\n\nevent: tick\ndata: {oops\n\nevent: tick\ndata: {"n":2}\n\nevent: sse-end\ndata: {"reason":"completed"}\n\n',
      );
    });
    const json = track(new EventStreamClient<{ tick: { n: number } }>(`${raw.url}/`));
    const record = recordClient(json, ['tick']);
    await json.closed;
    expect(record.events.map((e) => e.data.n)).toEqual([1, 2]);
    expect(record.errors.map((e) => e.code)).toEqual(['decode']);
    expect(record.errors[0].message).toMatch(/The data of an event "tick" could not be decoded .*skipped/);

    const custom = track(
      new EventStreamClient<{ tick: string }>(`${raw.url}/`, { decode: (data, type) => `${type}:${data.length}` }),
    );
    const customRecord = recordClient(custom, ['tick']);
    await custom.closed;
    expect(customRecord.events.map((e) => e.data)).toEqual(['tick:7', 'tick:5', 'tick:7']);
  });

  it('refuses wrong options at once, naming the option and the fix', () => {
    expect(() => new EventStreamClient(`${conformance.app.url}/ticks`, { body: 'x' })).toThrow(
      /`body` was given with method GET/,
    );
    expect(() => new EventStreamClient(`${conformance.app.url}/ticks`, { retry: { jitter: 2 } })).toThrow(
      /option `retry.jitter` must be a number from 0 to 1; got 2/,
    );
    expect(() => new EventStreamClient(`${conformance.app.url}/ticks`, { heartbeat: { timeoutMs: -1 } })).toThrow(
      /heartbeat.timeoutMs/,
    );
    expect(() => new EventStreamClient(`${conformance.app.url}/ticks`, { lastEventId: 'a\nb' })).toThrow(/lastEventId/);
    expect(() => new EventStreamClient(42 as never)).toThrow(/needs a URL/);
    // A backoff capped at 0, under initialMs, or a Retry-After cut to 0 would be no backoff.
    expect(() => new EventStreamClient(`${conformance.app.url}/ticks`, { retry: { initialMs: 0, maxMs: 0 } })).toThrow(
      /option `retry.maxMs` must be an integer from 1 to/,
    );
    expect(
      () => new EventStreamClient(`${conformance.app.url}/ticks`, { retry: { initialMs: 500, maxMs: 100 } }),
    ).toThrow(/option `retry.maxMs` must be an integer from 500 to \d+ \(at least retry.initialMs\); got 100/);
    expect(() => new EventStreamClient(`${conformance.app.url}/ticks`, { retry: { maxRetryAfterMs: 0 } })).toThrow(
      /option `retry.maxRetryAfterMs` must be an integer from 1 to/,
    );
  });
});
