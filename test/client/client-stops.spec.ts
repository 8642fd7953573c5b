import { EventStreamClient, EventStreamError } from 'nestjs-event-stream/client';
import { recordClient } from '../src/client/client-recorder.js';
import { useConformanceApp } from '../src/client/conformance-app.js';
import { seen, type ConformanceEvents } from '../src/client/conformance.controller.js';
import { refuseFirst } from '../src/client/flaky.middleware.js';
import { startRawServer } from '../src/client/raw-server.js';

describe('the typed client: when it stops for good and when it retries', () => {
  const busy = refuseFirst('/ticks?busy', 429, '1');
  const unavailable = refuseFirst('/ticks?unavailable', 503);
  const failing = refuseFirst('/ticks?bad-gateway', 502);
  const conformance = useConformanceApp((nest) => {
    nest.use(busy.middleware);
    nest.use(unavailable.middleware);
    nest.use(failing.middleware);
  });
  const { connect } = conformance;

  it('204 No Content: closed for good, with the status and no error, after one request', async () => {
    const client = connect('/no-content');
    const record = recordClient(client, []);
    expect(await client.closed).toEqual({ reason: 'status', status: 204 });
    expect(client.state).toBe('closed');
    expect(record.states.map((s) => s.state)).toEqual(['closed']);
    expect(record.errors).toEqual([]);
    expect(seen.filter((r) => r.route === 'no-content')).toHaveLength(1);
  });

  it("401: closed for good with an error carrying the status and the server's message; no second request", async () => {
    const client = connect('/unauthorized');
    const record = recordClient(client, []);
    const closed = await client.closed;
    expect(closed.reason).toBe('status');
    expect(closed.status).toBe(401);
    expect(closed.error).toBeInstanceOf(EventStreamError);
    expect(closed.error).toMatchObject({ code: 'status', status: 401, serverMessage: 'token expired: sign in again' });
    expect(closed.error!.message).toMatch(
      /refused the event stream with 401 Unauthorized: token expired: sign in again\. .*stopped for good/,
    );
    expect(record.errors).toEqual([closed.error]);
    expect(seen.filter((r) => r.route === 'unauthorized')).toHaveLength(1);
  });

  it('403 with a list of messages, and 404 of a route that does not exist: closed for good', async () => {
    const forbidden = await connect('/forbidden').closed;
    expect(forbidden).toMatchObject({ reason: 'status', status: 403 });
    expect(forbidden.error!.serverMessage).toBe('not your room, ask its owner');
    const missing = await connect('/no-such-stream').closed;
    expect(missing).toMatchObject({ reason: 'status', status: 404 });
    expect(missing.error!.serverMessage).toBe('Cannot GET /no-such-stream');
    // A POST route asked with GET is a 404 too, as Nest answers it.
    expect((await connect('/search').closed).status).toBe(404);
  });

  it('a 200 that is not text/event-stream: closed for good with a clear error', async () => {
    const closed = await connect('/html').closed;
    expect(closed.reason).toBe('not-event-stream');
    expect(closed.error).toMatchObject({
      code: 'not-event-stream',
      status: 200,
      contentType: 'text/html; charset=utf-8',
    });
    expect(closed.error!.message).toMatch(/not text\/event-stream: this URL is not an event stream/);
  });

  it('429 with Retry-After: 1 waits at least that second, then connects and streams', async () => {
    const client = connect('/ticks?busy', { retry: { initialMs: 20, jitter: 0 } });
    const record = recordClient(client, []);
    await record.waitFor(() => busy.times.length === 2, 'the second request', 4000);
    expect(busy.times[1] - busy.times[0]).toBeGreaterThanOrEqual(1000);
    expect(record.errors[0]).toMatchObject({ code: 'retry-status', status: 429, retryInMs: 1000 });
    expect(record.states[0]).toMatchObject({ state: 'reconnecting', retryInMs: 1000 });
    expect(await client.closed).toMatchObject({ reason: 'completed' });
    expect(record.states.map((s) => s.state)).toEqual(['reconnecting', 'open', 'closed']);
  });

  it('503 without Retry-After and 502: reconnect with backoff, then stream to the end', async () => {
    for (const [path, status, log] of [
      ['/ticks?unavailable', 503, unavailable.times],
      ['/ticks?bad-gateway', 502, failing.times],
    ] as const) {
      const client = connect(path);
      const record = recordClient(client, ['tick']);
      expect(await client.closed).toMatchObject({ reason: 'completed' });
      expect(log).toHaveLength(2);
      expect(record.errors.map((e) => [e.code, e.status])).toEqual([['retry-status', status]]);
      expect(record.events.map((e) => e.data.n)).toEqual([0, 1, 2]);
      expect(record.states.map((s) => s.state)).toEqual(['reconnecting', 'open', 'closed']);
    }
  });

  it('a network error (nothing listening) reconnects with a backoff that doubles from 100 ms, capped at maxMs', async () => {
    const probe = await startRawServer((_request, response) => response.end());
    await probe.close();
    const client = new EventStreamClient<ConformanceEvents>(`${probe.url}/ticks`, {
      retry: { initialMs: 10, maxMs: 200, jitter: 0 },
    });
    conformance.track(client);
    const record = recordClient(client, []);
    await record.waitFor(() => record.errors.length >= 6, 'six failed connects');
    expect(record.errors.every((e) => e.code === 'network')).toBe(true);
    // initialMs first; from the second failure in a row on, never under MIN_FAILURE_DELAY_MS (100).
    expect(record.errors.slice(0, 6).map((e) => e.retryInMs)).toEqual([10, 100, 200, 200, 200, 200]);
    expect(record.errors[0].message).toMatch(/could not be reached or dropped \(.+\); the client reconnects in 10 ms/);
    expect(client.state).toBe('reconnecting');
    client.close();
    client.close();
    expect(await client.closed).toEqual({ reason: 'closed' });
    expect(record.states.map((s) => s.state)).toEqual(['reconnecting', 'closed']);
  });
});
