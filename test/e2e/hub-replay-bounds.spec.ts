import { SseHub, parseEventId, type SseClient } from '../../lib/index.js';
import { HubController, streamUrl, tagged } from '../src/hub/hub-fixture.js';
import { openCountingReader, type CountingReader } from '../utils/counting-reader.js';
import { startApp, type TestApp } from '../utils/test-app.js';

const MIB = 1024 * 1024;
/** Each event's data: 12,000 characters, a ~12 KB frame. */
const DATA = 'x'.repeat(12_000);
const HISTORY = 10_000;

function seqs(ids: readonly string[]): number[] {
  return ids.map((id) => parseEventId(id)?.seq ?? -1);
}

/** Samples `measure()` on every turn of the event loop until `stop()` is called; resolves to the largest value seen. */
function sampleMax(measure: () => number): { stop(): Promise<number> } {
  let max = 0;
  let running = true;
  const done = new Promise<number>((resolve) => {
    const tick = () => {
      max = Math.max(max, measure());
      if (running) setImmediate(tick);
      else resolve(max);
    };
    tick();
  });
  return {
    stop: () => {
      running = false;
      return done;
    },
  };
}

/** A full garbage collection (the test script runs Node with --expose-gc). */
function collectGarbage(): void {
  const gc = (globalThis as { gc?: () => void }).gc;
  if (!gc) throw new Error('run the tests with NODE_OPTIONS=--expose-gc (npm test does)');
  gc();
}

function connectionTagged(hub: SseHub, tag: string): SseClient | undefined {
  return hub.connections((client) => client.request.headers['x-test-tag'] === tag)[0];
}

describe('SseHub replay of a large history, within the stream budget', () => {
  let server: TestApp;
  let hub: SseHub;
  /** The id just before the history's first event: resuming from it replays all of it. */
  let beforeAll_: string;
  const ids: string[] = [];

  beforeAll(async () => {
    server = await startApp(
      { controllers: [HubController] },
      // 100 anonymous clients from one address: more than the per-address default.
      {
        maxBufferedBytes: MIB,
        history: { maxEvents: HISTORY + 2_000, maxBytes: 512 * MIB, maxChannelBytes: 512 * MIB },
        maxAnonymousConnectionsPerAddress: Infinity,
      },
    );
    hub = server.app.get(SseHub);
    beforeAll_ = await hub.publish('big', 'before');
    for (let i = 0; i < HISTORY; i++) ids.push(await hub.publish('big', DATA));
  }, 60_000);
  afterAll(() => server.close());

  it('replays 10,000 events of 12 KB to a client with maxBufferedBytes 1 MiB, buffering under 2 MiB at every turn, every event in order', async () => {
    const sampling = { client: undefined as SseClient | undefined };
    const sampler = sampleMax(() => {
      sampling.client ??= connectionTagged(hub, 'full');
      return sampling.client?.bufferedBytes ?? 0;
    });
    const reader = await openCountingReader(streamUrl(server.url, ['big']), {
      headers: tagged('full', { 'Last-Event-ID': beforeAll_ }),
    });
    await reader.waitForEvents(HISTORY);
    const maxBuffered = await sampler.stop();
    reader.close();
    expect(reader.status).toBe(200);
    expect(reader.ids.slice(0, HISTORY)).toEqual(ids);
    expect(maxBuffered).toBeGreaterThan(0);
    expect(maxBuffered).toBeLessThan(2 * MIB);
    expect(hub.stats().slowClientDisconnects).toBe(0);
  }, 60_000);

  it('never cuts a client that reads slowly but steadily, through a 12 MB replay and live events', async () => {
    const from = ids[HISTORY - 1_001];
    const before = hub.stats().slowClientDisconnects;
    // About 5 MB/s: a 12 MB replay takes a few seconds, far longer than one socket write.
    const reader = await openCountingReader(streamUrl(server.url, ['big']), {
      headers: { 'Last-Event-ID': from },
      pace: { bytes: 256 * 1024, everyMs: 50 },
    });
    const live: string[] = [];
    let caughtUp = false;
    const publishing = (async () => {
      // Bounded: at most 100 live events, one every 20 ms, until the reader has caught up.
      for (let i = 0; i < 100 && !caughtUp; i++) {
        live.push(await hub.publish('big', DATA));
        await new Promise((resolve) => setTimeout(resolve, 20));
      }
    })();
    await reader.waitForEvents(1_000);
    caughtUp = true;
    await publishing;
    await reader.waitForEvents(1_000 + live.length);
    reader.close();
    expect(hub.stats().slowClientDisconnects).toBe(before);
    expect(reader.ids).toEqual([...ids.slice(HISTORY - 1_000), ...live]);
    const received = seqs(reader.ids);
    expect(received.every((seq, i) => i === 0 || seq > received[i - 1])).toBe(true);
  }, 60_000);

  it('keeps RSS growth under 200 MB while 100 clients each start a 120 MB replay and stop reading', async () => {
    const readers: CountingReader[] = [];
    collectGarbage();
    const baseline = process.memoryUsage().rss;
    try {
      for (let i = 0; i < 100; i++) {
        const reader = await openCountingReader(streamUrl(server.url, ['big']), {
          headers: { 'Last-Event-ID': beforeAll_ },
          stallAfter: 64 * 1024,
        });
        readers.push(reader);
      }
      // Each takes a first few events, then stops reading: the server's writes back up.
      await Promise.all(readers.map((reader) => reader.waitForBytes(64 * 1024)));
      // Give the server a hundred turns of the event loop to write whatever it would write.
      for (let turn = 0; turn < 100; turn++) await new Promise((resolve) => setImmediate(resolve));
      const buffered = hub.connections().map((client) => client.bufferedBytes);
      expect(buffered).toHaveLength(100);
      expect(Math.max(...buffered)).toBeLessThan(2 * MIB);
      // What the process holds, not the garbage of the bytes it has handed to the kernel.
      collectGarbage();
      expect(process.memoryUsage().rss - baseline).toBeLessThan(200 * MIB);
    } finally {
      readers.forEach((reader) => reader.close());
      await Promise.all(readers.map((reader) => reader.ended));
    }
  }, 60_000);
});
