import { openEventStream } from 'nestjs-event-stream/testing';
import { SseHub } from '../../lib/index.js';
import { HubController, streamUrl } from '../src/hub/hub-fixture.js';
import { startApp, type TestApp } from '../utils/test-app.js';

describe('SseHub.publish() with an idempotency key', () => {
  let server: TestApp;
  let hub: SseHub;

  beforeAll(async () => {
    server = await startApp({ controllers: [HubController] });
    hub = server.app.get(SseHub);
  });
  afterAll(() => server.close());

  it('resolves a retry with the same key to the id of the first publish, and delivers and stores the event once', async () => {
    const seen = await hub.publish('elsewhere', 'before');
    const stream = await openEventStream(server.app, streamUrl('', ['orders']));
    const first = await hub.publish('orders', { order: 1 }, { idempotencyKey: 'order-1' });
    const retry = await hub.publish('orders', { order: 1 }, { idempotencyKey: 'order-1' });
    const next = await hub.publish('orders', { order: 2 });
    expect(retry).toBe(first);
    await stream.waitForText((text) => text.includes(`id: ${next}\n`));
    expect(stream.events.map((e) => [e.id, e.data])).toEqual([
      [first, '{"order":1}'],
      [next, '{"order":2}'],
    ]);
    stream.close();
    // A client that resumes from before it is replayed the event once too.
    const resumed = await openEventStream(server.app, streamUrl('', ['orders']), {
      headers: { 'Last-Event-ID': seen },
    });
    await resumed.waitForText((text) => text.includes(`id: ${next}\n`));
    expect(resumed.events.map((e) => e.id)).toEqual([first, next]);
    resumed.close();
  });

  it('refuses a key that is not 1 to 200 printable ASCII characters with a TypeError naming it, publishing nothing', async () => {
    const before = hub.stats().eventsPublished;
    for (const key of ['', 'x'.repeat(201), 'new\nline', 'é', 7]) {
      await expect(hub.publish('orders', 'x', { idempotencyKey: key as string })).rejects.toThrow(
        expect.objectContaining({ name: 'TypeError', message: expect.stringContaining('idempotencyKey') }),
      );
    }
    expect(hub.stats().eventsPublished).toBe(before);
  });
});
