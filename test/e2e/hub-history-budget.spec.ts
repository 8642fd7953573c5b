import { openEventStream } from 'nestjs-event-stream/testing';
import { SseHub } from '../../lib/index.js';
import { InMemorySseBroker } from '../../lib/broker.js';
import { HubController, streamUrl } from '../src/hub/hub-fixture.js';
import { startApp, type TestApp } from '../utils/test-app.js';

const MIB = 1024 * 1024;
/** What a 2,000-character message of control characters becomes once escaped as JSON: about 12 KB. */
const HOSTILE = '\u0001'.repeat(2_000);

describe('SseHub history within a byte budget', () => {
  let server: TestApp;
  let hub: SseHub;
  let broker: InMemorySseBroker;

  beforeAll(async () => {
    broker = new InMemorySseBroker({ maxBytes: 4 * MIB, maxChannelBytes: MIB });
    server = await startApp({ controllers: [HubController] }, { broker });
    hub = server.app.get(SseHub);
  });
  afterAll(() => server.close());

  it('keeps all channels together under maxBytes, however much is published to however many channels', async () => {
    for (let i = 0; i < 4_000; i++) await hub.publish(`room:${i % 100}`, { text: HOSTILE });
    expect(broker.historyBytes).toBeGreaterThan(3 * MIB);
    expect(broker.historyBytes).toBeLessThanOrEqual(4 * MIB);
  });

  it('keeps its eviction bookkeeping bounded while the byte budget evicts on every publish', async () => {
    const small = new InMemorySseBroker({ maxBytes: 64 * 1024 });
    for (let i = 0; i < 20_000; i++) small.publish(`room:${i % 10}`, `data: ${'y'.repeat(100)}\n\n`);
    expect(small.historyBytes).toBeLessThanOrEqual(64 * 1024);
    // About 600 events fit: the queue must not keep an entry for each of the 20,000 published.
    expect(small.evictionQueueLength).toBeLessThan(3_000);
    small.close();
  });

  it('keeps one channel under maxChannelBytes, evicting its oldest events first', async () => {
    const ids: string[] = [];
    for (let i = 0; i < 300; i++) ids.push(await hub.publish('busy', { text: HOSTILE }));
    // ~12 KB each: 1 MiB holds about 85 of them, the newest.
    const stream = await openEventStream(server.app, streamUrl('', ['busy']), { headers: { 'Last-Event-ID': ids[0] } });
    const reset = (await stream.waitForEvents(1))[0];
    expect(reset.type).toBe('sse-reset');
    expect(JSON.parse(reset.data)).toEqual({ reason: 'expired', lastEventId: ids[0] });
    const newest = ids.slice(-50);
    await stream.waitForText((text) => text.includes(`id: ${newest[newest.length - 1]}\n`));
    const replayed = stream.events.slice(1).map((event) => event.id);
    expect(replayed.length).toBeGreaterThan(50);
    expect(replayed.length).toBeLessThan(100);
    expect(replayed).toEqual(ids.slice(-replayed.length));
    stream.close();
  });

  it('answers a resume from before an eviction with the reset it gives for age, then what it kept, then live', async () => {
    const seen = await hub.publish('evicted', 'seen');
    await hub.publish('evicted', 'missed, then evicted');
    for (let i = 0; i < 500; i++) await hub.publish(`filler:${i % 50}`, { text: HOSTILE });
    const kept = await hub.publish('evicted', 'kept');
    const stream = await openEventStream(server.app, streamUrl('', ['evicted']), {
      headers: { 'Last-Event-ID': seen },
    });
    const [reset, event] = await stream.waitForEvents(2);
    expect(reset.type).toBe('sse-reset');
    expect(JSON.parse(reset.data).reason).toBe('expired');
    expect([event.id, event.data]).toEqual([kept, 'kept']);
    const live = await hub.publish('evicted', 'live');
    expect((await stream.waitForEvents(3))[2].id).toBe(live);
    stream.close();
  });

  it('refuses a byte budget that is not a positive integer, naming the option', () => {
    expect(() => new InMemorySseBroker({ maxBytes: 0 })).toThrow(
      'nestjs-event-stream: option "InMemorySseBroker maxBytes" must be an integer >= 1, got number 0.',
    );
    expect(() => new InMemorySseBroker({ maxChannelBytes: 1.5 })).toThrow(/"InMemorySseBroker maxChannelBytes"/);
  });
});
