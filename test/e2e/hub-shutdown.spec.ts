import { type TestEventStream, openEventStream } from 'nestjs-event-stream/testing';
import { SseHub, type SseLifecycleEvent } from '../../lib/index.js';
import { DelegatingBroker, HubController, streamUrl } from '../src/hub/hub-fixture.js';
import { TestEventSource } from '../utils/event-source-client.js';
import { startApp } from '../utils/test-app.js';
import { deferred } from '../utils/wait.js';

const RETRY_MS = 500;

/** The last frame of a stream that the server ended for shutdown: its final word, with a retry hint spread over one to two periods. */
function finalRetry(stream: TestEventStream): number {
  const match = /event: sse-end\nretry: (\d+)\ndata: \{"reason":"shutdown"\}\n\n$/.exec(stream.text);
  expect(match).not.toBeNull();
  return Number(match![1]);
}

describe('SseHub shutdown', () => {
  it('ends every stream with a final retry frame, and app.close() resolves with nothing left open', async () => {
    const server = await startApp({ controllers: [HubController] }, { retryMs: RETRY_MS });
    const hub = server.app.get(SseHub);
    const lifecycle: SseLifecycleEvent[] = [];
    let lifecycleCompleted = false;
    hub.lifecycle$.subscribe({ next: (event) => lifecycle.push(event), complete: () => (lifecycleCompleted = true) });

    const streams = await Promise.all([
      openEventStream(server.app, streamUrl('', ['bye:a', 'bye:b'])),
      openEventStream(server.app, streamUrl('', ['bye:a'])),
      openEventStream(server.app, streamUrl('', ['bye:c']), { headers: { 'x-user-id': 'u1' } }),
      openEventStream(server.app, `/hub/plain`),
    ]);
    const client = new TestEventSource(streamUrl(server.url, ['bye:a']), { types: ['n'] });
    await client.waitFor((c) => c.opens === 1, 'open');
    const id = await hub.publish('bye:a', 'last words');
    await client.waitForEvents(1);
    expect(hub.stats()).toMatchObject({ connections: 5, channels: 3 });

    await server.close();

    for (const stream of streams) {
      await stream.ended;
      const retry = finalRetry(stream);
      expect(retry).toBeGreaterThanOrEqual(RETRY_MS);
      expect(retry).toBeLessThanOrEqual(2 * RETRY_MS);
    }
    expect(streams[0].events.map((e) => e.id)).toEqual([id]);
    expect(hub.count()).toBe(0);
    expect(hub.stats().timers.heartbeat).toBe(0);
    expect(hub.stats()).toMatchObject({ connections: 0, channels: 0 });
    expect(lifecycle.filter((e) => e.type === 'disconnected').map((e) => (e as { reason: string }).reason)).toEqual(
      Array(5).fill('shutdown'),
    );
    expect(lifecycleCompleted).toBe(true);
    // The real client saw the end and would reconnect elsewhere; it is closed here so that Jest exits by itself.
    await client.waitFor((c) => c.errors.length > 0, 'the end of the stream');
    client.close();
  });

  it('ends a stream that is still joining when shutdown starts, once it opens, and app.close() resolves', async () => {
    const subscribing = deferred();
    const release = deferred();
    class HeldBroker extends DelegatingBroker {
      override async subscribe(channel: string): Promise<void> {
        subscribing.resolve();
        await release.promise;
        await super.subscribe(channel);
      }
    }
    const server = await startApp({ controllers: [HubController] }, { retryMs: RETRY_MS, broker: new HeldBroker() });
    const hub = server.app.get(SseHub);
    const opening = openEventStream(server.app, streamUrl('', ['late']));
    await subscribing.promise;

    let closed = false;
    const closing = server.close().then(() => (closed = true));
    // New streams are refused meanwhile.
    const refused = await openEventStream(server.app, `/hub/plain`);
    await refused.ended;
    expect(refused.status).toBe(503);
    expect(refused.headers['retry-after']).toBeDefined();
    expect(closed).toBe(false);
    release.resolve();
    const stream = await opening;
    await closing;
    await stream.ended;
    expect(stream.status).toBe(200);
    expect(finalRetry(stream)).toBeGreaterThanOrEqual(RETRY_MS);
    expect(hub.count()).toBe(0);
  });
});
