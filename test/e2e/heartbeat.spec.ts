import { Controller } from '@nestjs/common';
import { NEVER, Subject } from 'rxjs';
import { openEventStream, waitForHub } from 'nestjs-event-stream/testing';
import { EventStream, SseHub } from '../../lib/index.js';
import { TestEventSource } from '../utils/event-source-client.js';
import { startApp, type TestApp } from '../utils/test-app.js';

const feed = new Subject<string>();

@Controller()
class HeartbeatController {
  @EventStream('idle')
  idle() {
    return NEVER;
  }

  @EventStream('feed')
  feed() {
    return feed;
  }

  @EventStream('slow-beat', { heartbeatMs: 60_000 })
  slowBeat() {
    return NEVER;
  }

  @EventStream('no-beat', { heartbeatMs: 0 })
  noBeat() {
    return NEVER;
  }
}

const HEARTBEAT = ': heartbeat\n';
const count = (text: string, part: string) => text.split(part).length - 1;

describe('heartbeat', () => {
  let server: TestApp;
  let hub: SseHub;

  beforeAll(async () => {
    // retryJitter 0: the tests below read the exact first bytes.
    server = await startApp({ controllers: [HeartbeatController] }, { heartbeatMs: 50, retryJitter: 0 });
    hub = server.app.get(SseHub);
  });
  afterAll(() => server.close());

  it('writes `: heartbeat` comments to an idle stream, and clients see no event for them', async () => {
    const raw = await openEventStream(server.app, `/feed`);
    const client = new TestEventSource(`${server.url}/feed`);
    await client.waitFor((c) => c.opens === 1, 'open');
    await raw.waitForText((text) => count(text, HEARTBEAT) >= 2);
    expect(raw.text.startsWith(`retry: 3000\n\n${HEARTBEAT}${HEARTBEAT}`)).toBe(true);
    expect(raw.events).toEqual([]);
    expect(raw.comments.slice(0, 2)).toEqual(['heartbeat', 'heartbeat']);

    feed.next('real');
    const events = await client.waitForEvents(1);
    expect(events.map((e) => e.data)).toEqual(['real']);
    await raw.waitForEvents(1);
    client.close();
    raw.close();
  });

  it('puts heartbeats only between whole frames of a stream that is being written', async () => {
    const raw = await openEventStream(server.app, `/feed`);
    await raw.waitForText((text) => text.startsWith('retry: 3000\n\n'));
    const line = 'y'.repeat(2000);
    const sent: string[] = [];
    for (let burst = 0; burst < 5; burst++) {
      for (let i = 0; i < 20; i++) {
        const data = `burst ${burst} event ${i}\n${line}\n${line}\r\nend`;
        sent.push(data.replace(/\r\n/g, '\n'));
        feed.next(data);
      }
      await raw.waitForEvents(sent.length);
      const beats = count(raw.text, HEARTBEAT);
      await raw.waitForText((text) => count(text, HEARTBEAT) > beats);
    }
    raw.close();

    expect(raw.events.map((e) => e.data)).toEqual(sent);
    const body = raw.text.slice('retry: 3000\n\n'.length);
    // Every block is: some heartbeats, then a complete event; the text may end with heartbeats.
    expect(body).toMatch(/^(?:(?:: heartbeat\n)*(?:data: [^\n]*\n)+\n)*(?:: heartbeat\n)*$/);
    expect(count(body, HEARTBEAT)).toBeGreaterThanOrEqual(5);
  });

  it('runs one timer per distinct period, none for heartbeatMs 0, and none once the streams are gone', async () => {
    await waitForHub(hub, (h) => h.count() === 0);
    expect(hub.stats().timers.heartbeat).toBe(0);

    const streams = await Promise.all([
      openEventStream(server.app, `/idle`),
      openEventStream(server.app, `/idle`),
      openEventStream(server.app, `/no-beat`),
    ]);
    await waitForHub(hub, (h) => h.count() === 3);
    expect(hub.stats().timers.heartbeat).toBe(1);

    const slow = await openEventStream(server.app, `/slow-beat`);
    await waitForHub(hub, (h) => h.count() === 4);
    expect(hub.stats().timers.heartbeat).toBe(2);

    const noBeat = streams[2];
    await streams[0].waitForText((text) => text.includes(HEARTBEAT));
    await streams[1].waitForText((text) => text.includes(HEARTBEAT));
    expect(noBeat.text).toBe('retry: 3000\n\n');

    for (const stream of [...streams, slow]) stream.close();
    await waitForHub(hub, (h) => h.count() === 0);
    expect(hub.stats().timers.heartbeat).toBe(0);
  });
});
