import { EventStreamClient, type EventStreamClientOptions, type EventStreamFetch } from 'nestjs-event-stream/client';
import { MIN_FAILURE_DELAY_MS } from '../../lib/client/backoff.js';
import { recordClient } from '../src/client/client-recorder.js';
import { openStream, startRawServer, type RawServer } from '../src/client/raw-server.js';

interface Events {
  message: string;
}

const COMPLETED = 'event: sse-end\ndata: {"reason":"completed"}\n\n';

/** What a server (or a caller) cannot make the client do: loop, stall, leak a timer, or retry what no retry fixes. */
describe('the typed client against hostile servers and wrong options', () => {
  let raw: RawServer | undefined;
  const clients: { close(): void }[] = [];

  afterEach(async () => {
    clients.splice(0).forEach((client) => client.close());
    await raw?.close();
    raw = undefined;
  });

  function connect(url: string, options: EventStreamClientOptions = {}) {
    const client = new EventStreamClient<Events>(url, { decode: 'text', ...options });
    clients.push(client);
    return client;
  }

  /** The id of the first request as the bytes it arrived as, read as UTF-8 (Node reads header values as latin1). */
  const utf8Header = (value: string | string[] | undefined) =>
    value === undefined ? undefined : Buffer.from(String(value), 'latin1').toString('utf8');

  it('resumes after an id outside Latin-1: Last-Event-ID goes out as its UTF-8 bytes, as a browser sends it', async () => {
    raw = await startRawServer((request, response, n) => {
      openStream(response);
      if (n === 0) return void response.end('retry: 10\n\nid: ☃ é 😀\ndata: one\n\n');
      response.end(`data: ${utf8Header(request.headers['last-event-id'])}\n\n${COMPLETED}`);
    });
    const client = connect(`${raw.url}/`, { lastEventId: 'ü☃' });
    const record = recordClient(client, ['message']);
    expect((await client.closed).reason).toBe('completed');
    expect(record.events.map((e) => e.data)).toEqual(['one', '☃ é 😀']);
    expect(raw.requests.map((r) => utf8Header(r.headers['last-event-id']))).toEqual(['ü☃', '☃ é 😀']);
    expect(record.errors).toEqual([]);
  });

  it("a server's retry: 0 does not turn off the backoff: failures in a row wait 100, 200, 400 ms", async () => {
    raw = await startRawServer((_request, response, n) => {
      if (n === 0) return void (openStream(response), response.end('retry: 0\n\n'));
      response.writeHead(503).end();
    });
    const client = connect(`${raw.url}/`, { retry: { jitter: 0 } });
    const record = recordClient(client, []);
    await record.waitFor(() => record.errors.length === 3, 'three refusals');
    client.close();
    expect(record.errors.map((e) => [e.code, e.retryInMs])).toEqual([
      ['retry-status', MIN_FAILURE_DELAY_MS],
      ['retry-status', 2 * MIN_FAILURE_DELAY_MS],
      ['retry-status', 4 * MIN_FAILURE_DELAY_MS],
    ]);
    // The first reconnect, after the stream that ended, waited the hint (0); the later ones the backoff.
    expect(record.states.map((s) => [s.state, s.retryInMs])).toEqual([
      ['open', undefined],
      ['reconnecting', 0],
      ['closed', undefined],
    ]);
    expect(raw.requests).toHaveLength(4);
  });

  it('a huge retry: hint (past a timer, or parsing to Infinity) is cut to maxRetryAfterMs instead of firing at once', async () => {
    for (const hint of ['3000000000', '9'.repeat(400)]) {
      const server = await startRawServer((_request, response, n) => {
        openStream(response);
        response.end(n === 0 ? `retry: ${hint}\nevent: sse-end\ndata: {"reason":"lifetime"}\n\n` : COMPLETED);
      });
      try {
        const client = connect(`${server.url}/`, { retry: { maxRetryAfterMs: 40 } });
        const record = recordClient(client, []);
        expect((await client.closed).reason).toBe('completed');
        expect(record.states.map((s) => [s.state, s.retryInMs])).toEqual([
          ['open', undefined],
          ['reconnecting', 40],
          ['open', undefined],
          ['closed', undefined],
        ]);
        expect(server.requests).toHaveLength(2);
      } finally {
        await server.close();
      }
    }
  });

  it('Retry-After is cut to maxRetryAfterMs end to end: a 503 asking for 20 s is retried after 50 ms', async () => {
    raw = await startRawServer((_request, response, n) => {
      if (n === 0) return void response.writeHead(503, { 'retry-after': '20' }).end();
      openStream(response);
      response.end(`data: back\n\n${COMPLETED}`);
    });
    const client = connect(`${raw.url}/`, { retry: { maxRetryAfterMs: 50, initialMs: 10, jitter: 0 } });
    const record = recordClient(client, ['message']);
    expect((await client.closed).reason).toBe('completed');
    expect(record.errors.map((e) => [e.code, e.status, e.retryInMs])).toEqual([['retry-status', 503, 50]]);
    expect(record.events.map((e) => e.data)).toEqual(['back']);
  });

  describe('close() from inside a listener', () => {
    /** Timers of 10 s or more, while they are pending: the reconnect wait of a 503 with Retry-After: 20. */
    const longTimers = new Set<unknown>();
    const realSetTimeout = globalThis.setTimeout;
    const realClearTimeout = globalThis.clearTimeout;
    beforeEach(() => {
      globalThis.setTimeout = ((callback: (...args: unknown[]) => void, ms?: number, ...args: unknown[]) => {
        const timer: unknown = realSetTimeout(
          (...given: unknown[]) => {
            longTimers.delete(timer);
            callback(...given);
          },
          ms,
          ...args,
        );
        if ((ms ?? 0) >= 10_000) longTimers.add(timer);
        return timer;
      }) as typeof setTimeout;
      globalThis.clearTimeout = ((timer: Parameters<typeof clearTimeout>[0]) => {
        longTimers.delete(timer);
        realClearTimeout(timer);
      }) as typeof clearTimeout;
    });
    afterEach(() => {
      globalThis.setTimeout = realSetTimeout;
      globalThis.clearTimeout = realClearTimeout;
      longTimers.clear();
    });

    for (const where of ['onError', "onState('reconnecting')"] as const) {
      it(`${where}: the reconnect timer is cleared, no request follows, the client is closed`, async () => {
        raw = await startRawServer((_request, response) => response.writeHead(503, { 'retry-after': '20' }).end());
        const client = connect(`${raw.url}/`);
        if (where === 'onError') client.onError(() => client.close());
        else client.onState((change) => change.state === 'reconnecting' && client.close());
        expect(await client.closed).toEqual({ reason: 'closed' });
        // Whatever the loop does after the listener returned has run by the next macrotask.
        await new Promise((resolve) => setImmediate(resolve));
        expect(longTimers.size).toBe(0);
        expect(client.state).toBe('closed');
        expect(raw.requests).toHaveLength(1);
      });
    }
  });

  it('the last event id does not move after close(): not by an id-only block in the same chunk', async () => {
    raw = await startRawServer((_request, response) => {
      openStream(response);
      response.end('data: first\n\nid: after-close\n\n');
    });
    const client = connect(`${raw.url}/`);
    client.on('message', () => client.close());
    await client.closed;
    expect(client.lastEventId).toBe('');
  });

  it('two BOMs: exactly one is dropped, so the first line is a field named "\\uFEFFdata" and ignored', async () => {
    raw = await startRawServer((_request, response) => {
      openStream(response);
      response.end(
        Buffer.concat([
          Buffer.from([0xef, 0xbb, 0xbf, 0xef, 0xbb, 0xbf]),
          Buffer.from(`data: first\n\ndata: second\n\n${COMPLETED}`),
        ]),
      );
    });
    const client = connect(`${raw.url}/`);
    const record = recordClient(client, ['message']);
    await client.closed;
    expect(record.events.map((e) => e.data)).toEqual(['second']);
  });

  it('an iterator obtained and never iterated holds nothing up: listeners get every event', async () => {
    raw = await startRawServer((_request, response) => {
      openStream(response);
      response.end(`${Array.from({ length: 50 }, (_, i) => `data: ${i}\n\n`).join('')}${COMPLETED}`);
    });
    const client = connect(`${raw.url}/`, { maxQueued: 1 });
    const unused = client[Symbol.asyncIterator]();
    const record = recordClient(client, ['message']);
    expect((await client.closed).reason).toBe('completed');
    expect(record.events).toHaveLength(50);
    expect(await unused.next()).toEqual({ value: undefined, done: true });
  });

  it('a headers function that rejects is reported (headers) and retried; the next connect carries its headers', async () => {
    raw = await startRawServer((request, response) => {
      openStream(response);
      response.end(`data: ${request.headers.authorization}\n\n${COMPLETED}`);
    });
    let calls = 0;
    const client = connect(`${raw.url}/`, {
      retry: { initialMs: 10 },
      headers: async () => {
        if (calls++ === 0) throw new Error('token service down');
        return { authorization: 'Bearer fresh' };
      },
    });
    const record = recordClient(client, ['message']);
    expect((await client.closed).reason).toBe('completed');
    expect(record.errors.map((e) => e.code)).toEqual(['headers']);
    expect(record.errors[0].message).toMatch(/`headers` function failed \(token service down\)/);
    expect(record.events.map((e) => e.data)).toEqual(['Bearer fresh']);
    expect(raw.requests).toHaveLength(1);
  });

  it('a line past maxBufferSize stops the client for good (overflow), after one request', async () => {
    raw = await startRawServer((_request, response) => {
      openStream(response);
      response.write(`data: ${'x'.repeat(5000)}`);
    });
    const client = connect(`${raw.url}/`, { maxBufferSize: 1024 });
    const record = recordClient(client, ['message']);
    const closed = await client.closed;
    expect(closed.reason).toBe('overflow');
    expect(closed.error).toMatchObject({ code: 'overflow' });
    expect(closed.error!.message).toMatch(/longer than 1024 characters \(maxBufferSize\)/);
    expect(record.errors).toEqual([closed.error]);
    expect(raw.requests).toHaveLength(1);
  });

  it('credentials and the rest of the request reach fetch as given (a recording fetch around the real one)', async () => {
    raw = await startRawServer((_request, response) => {
      openStream(response);
      response.end(COMPLETED);
    });
    const inits: RequestInit[] = [];
    const recording: EventStreamFetch = (input, init) => (inits.push(init), fetch(input, init));
    for (const credentials of ['include', 'omit', undefined] as const) {
      const client = connect(`${raw.url}/`, { fetch: recording, credentials });
      await client.closed;
    }
    expect(inits.map((init) => [init.credentials, (init as { cache?: string }).cache, init.method])).toEqual([
      ['include', 'no-store', 'GET'],
      ['omit', 'no-store', 'GET'],
      [undefined, 'no-store', 'GET'],
    ]);
  });

  describe('programming errors are no network errors', () => {
    it('a relative URL with no page to resolve it against (Node) throws at once, naming the fix', () => {
      expect(() => new EventStreamClient('/ticks')).toThrow(
        /relative URL "\/ticks" and there is no page to resolve it against .*pass an absolute URL/,
      );
      expect(new EventStreamClient('http://127.0.0.1:9/a/../ticks?x', { signal: AbortSignal.abort() }).url).toBe(
        'http://127.0.0.1:9/ticks?x',
      );
    });

    it('a header value with CR LF (or above U+00FF) stops for good with a request error; nothing reaches the server', async () => {
      raw = await startRawServer((_request, response) => response.end());
      for (const value of ['Bearer t\r\nx: y', 'Bearer ☃']) {
        const client = connect(`${raw.url}/`, { headers: { authorization: value }, retry: { initialMs: 10 } });
        const record = recordClient(client, []);
        const closed = await client.closed;
        expect(closed.reason).toBe('request');
        expect(closed.error).toMatchObject({ code: 'request' });
        expect(closed.error!.message).toMatch(/could not be built .*stopped for good/s);
        expect(record.errors).toEqual([closed.error]);
      }
      expect(raw.requests).toHaveLength(0);
    });

    it('headers as a Headers, or a function returning one, are sent', async () => {
      raw = await startRawServer((request, response) => {
        openStream(response);
        response.end(`data: ${request.headers.authorization} ${request.headers.accept}\n\n${COMPLETED}`);
      });
      const given = new Headers({ authorization: 'Bearer a', accept: 'text/html' });
      const cases = [
        [given, 'a'],
        [() => given, 'a'],
        [async () => new Headers({ authorization: 'Bearer b' }), 'b'],
      ] as const;
      for (const [headers, token] of cases) {
        const client = connect(`${raw.url}/`, { headers });
        const record = recordClient(client, ['message']);
        await client.closed;
        // The caller's Accept is replaced by the client's own.
        expect(record.events.map((e) => e.data)).toEqual([`Bearer ${token} text/event-stream`]);
      }
    });

    it('a stream body, and headers that are no object, are refused at construction', () => {
      const url = 'http://127.0.0.1:9/';
      const body = new ReadableStream({ start: (controller) => controller.close() });
      expect(() => new EventStreamClient(url, { method: 'POST', body })).toThrow(/`body` must not be a stream/);
      expect(() => new EventStreamClient(url, { headers: [['a', 'b']] as never })).toThrow(
        /option `headers` must be an object, a Headers or a function returning one; got an array/,
      );
    });
  });
});
