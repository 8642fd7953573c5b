import { Controller } from '@nestjs/common';
import type { Server } from 'node:http';
import http from 'node:http';
import { finalize, NEVER, of, startWith } from 'rxjs';
import { openEventStream, waitForHub } from 'nestjs-event-stream/testing';
import { EventStream, SseClient, SseHub, type SseCloseReason } from '../../lib/index.js';
import { TestEventSource } from '../utils/event-source-client.js';
import { startApp, type TestApp } from '../utils/test-app.js';
import { deferred, runBounded, type Deferred } from '../utils/wait.js';

const watch: { teardown: Deferred; aborted: Deferred<unknown> } = { teardown: deferred(), aborted: deferred() };
const pending = { entered: deferred(), left: deferred(), release: deferred(), returned: deferred(), subscribed: false };

@Controller()
class DisconnectController {
  @EventStream('watched')
  watched(@SseClient() client: SseClient) {
    client.signal.addEventListener('abort', () => watch.aborted.resolve(client.signal.reason as SseCloseReason));
    return NEVER.pipe(
      startWith('hello'),
      finalize(() => watch.teardown.resolve()),
    );
  }

  @EventStream('pending')
  async pending(@SseClient() client: SseClient) {
    client.signal.addEventListener('abort', () => pending.left.resolve());
    pending.entered.resolve();
    await pending.release.promise;
    setImmediate(() => pending.returned.resolve());
    return of('too late').pipe(finalize(() => (pending.subscribed = true)));
  }

  @EventStream('idle')
  idle() {
    return NEVER;
  }
}

describe('client disconnect', () => {
  let server: TestApp;
  let hub: SseHub;

  beforeAll(async () => {
    // retryJitter 0: the cycles below wait for the exact first bytes.
    server = await startApp({ controllers: [DisconnectController] }, { heartbeatMs: 10_000, retryJitter: 0 });
    hub = server.app.get(SseHub);
  });
  afterAll(() => server.close());

  beforeEach(() => {
    watch.teardown = deferred();
    watch.aborted = deferred();
  });

  it('unsubscribes the source, aborts client.signal and forgets the connection when the socket is destroyed', async () => {
    const stream = await openEventStream(server.app, `/watched`);
    await stream.waitForEvents(1);
    expect(hub.count()).toBe(1);
    expect(hub.stats().timers.heartbeat).toBe(1);
    expect(watch.teardown.settled).toBe(false);

    stream.close();
    await watch.teardown.promise;
    expect(await watch.aborted.promise).toBe('client-closed');
    await waitForHub(hub, (h) => h.count() === 0);
    expect(hub.stats().timers.heartbeat).toBe(0);
  });

  it('does the same when the eventsource client closes', async () => {
    const client = new TestEventSource(`${server.url}/watched`);
    await client.waitForEvents(1);
    client.close();
    await watch.teardown.promise;
    await watch.aborted.promise;
    await waitForHub(hub, (h) => h.count() === 0);
    expect(hub.stats().timers.heartbeat).toBe(0);
  });

  it("never subscribes the source of a client that left while the handler's Promise was pending", async () => {
    const request = http.request(`${server.url}/pending`, { agent: false });
    request.on('error', () => undefined);
    request.end();
    await pending.entered.promise;
    request.destroy();
    await pending.left.promise;
    pending.release.resolve();
    await pending.returned.promise;
    expect(pending.subscribed).toBe(false);
    expect(hub.count()).toBe(0);

    const next = await openEventStream(server.app, `/watched`);
    await next.waitForEvents(1);
    next.close();
    await waitForHub(hub, (h) => h.count() === 0);
  });

  it('1,000 connect/disconnect cycles leave no connection, timer or server listener behind', async () => {
    const httpServer = server.app.getHttpServer() as Server;
    const listenersBefore = ['request', 'connection', 'close', 'error'].map((e) => httpServer.listenerCount(e));
    let peak = 0;
    await runBounded(1000, 20, async () => {
      const stream = await openEventStream(server.app, `/idle`);
      await stream.waitForText((text) => text === 'retry: 3000\n\n');
      peak = Math.max(peak, hub.count());
      stream.close();
    });
    await waitForHub(hub, (h) => h.count() === 0);
    expect(peak).toBeGreaterThan(1);
    expect(hub.stats().timers.heartbeat).toBe(0);
    expect(['request', 'connection', 'close', 'error'].map((e) => httpServer.listenerCount(e))).toEqual(
      listenersBefore,
    );
  });
});
