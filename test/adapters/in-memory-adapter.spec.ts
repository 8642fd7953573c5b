import { jest } from '@jest/globals';
import { InMemorySseAdapter, parseEventId, type SseHubMessage } from '../../lib/index.js';
import { describeHubAdapterContract } from './hub-adapter.contract.js';

describeHubAdapterContract(
  'InMemorySseAdapter',
  (options) => new InMemorySseAdapter({ maxEvents: options?.maxEvents }),
);

describe('InMemorySseAdapter', () => {
  const body = (n: number) => `data: ${n}\n\n`;

  it('starts a new epoch per instance, so the ids of a restarted hub are unknown to the next one', () => {
    const before = new InMemorySseAdapter();
    const after = new InMemorySseAdapter();
    const id = before.publish('a', body(1)) as string;
    after.publish('a', body(1));
    expect(parseEventId(after.publish('a', body(2)) as string)!.epoch).not.toBe(parseEventId(id)!.epoch);
    expect(after.replay(['a'], parseEventId(id)!).reset).toBe('unknown');
  });

  it('keeps no history with maxEvents 0, and still delivers', () => {
    const adapter = new InMemorySseAdapter({ maxEvents: 0 });
    const delivered: SseHubMessage[] = [];
    adapter.connect((message) => delivered.push(message));
    const first = adapter.publish('a', body(1)) as string;
    adapter.publish('a', body(2));
    expect(delivered).toHaveLength(2);
    expect(adapter.replay(['a'], parseEventId(first)!).events).toEqual([]);
  });

  it('says a position expired when it keeps no history and events came after it (never a silent gap)', () => {
    const adapter = new InMemorySseAdapter({ maxEvents: 0 });
    adapter.connect(() => undefined);
    const first = adapter.publish('a', body(1)) as string;
    const last = adapter.publish('a', body(2)) as string;
    expect(adapter.replay(['a'], parseEventId(first)!).reset).toBe('expired');
    expect(adapter.replay(['a'], parseEventId(last)!).reset).toBeUndefined();
  });

  it('refuses bad options when it is built directly, naming the option', () => {
    expect(() => new InMemorySseAdapter({ maxChannels: 0 })).toThrow(/InMemorySseAdapter maxChannels.*integer >= 1/);
    expect(() => new InMemorySseAdapter({ maxEvents: -1 })).toThrow(/InMemorySseAdapter maxEvents/);
    expect(() => new InMemorySseAdapter({ maxAgeMs: 1.5 })).toThrow(/InMemorySseAdapter maxAgeMs/);
  });

  it('forgets events older than maxAgeMs and says the position expired', () => {
    let now = 1_000_000;
    const clock = jest.spyOn(Date, 'now').mockImplementation(() => now);
    const adapter = new InMemorySseAdapter({ maxAgeMs: 1000 });
    const old = adapter.publish('a', body(1)) as string;
    now += 600;
    const kept = adapter.publish('a', body(2)) as string;
    now += 600;
    const replay = adapter.replay(['a'], parseEventId(old)!);
    expect(replay.events.map((e) => e.id)).toEqual([kept]);
    expect(replay.reset).toBeUndefined();
    const fresh = adapter.publish('a', body(3)) as string;
    now += 1001;
    expect(adapter.replay(['a'], parseEventId(kept)!)).toEqual({ events: [], reset: 'expired', headId: fresh });
    clock.mockRestore();
  });

  it('keeps the history of at most maxChannels channels, dropping the one published to least recently', () => {
    const adapter = new InMemorySseAdapter({ maxChannels: 100 });
    const first = adapter.publish('channel-0', body(0)) as string;
    for (let i = 1; i < 20_000; i++) adapter.publish(`channel-${i}`, body(i));
    const { epoch } = parseEventId(first)!;
    // The 100 channels published to last are kept: each replays its event (seq = index + 1).
    for (let i = 19_900; i < 20_000; i++) {
      expect(adapter.replay([`channel-${i}`], { epoch, seq: i }).events.map((e) => e.seq)).toEqual([i + 1]);
    }
    // Older ones were dropped, and a position from before them says so instead of a silent gap.
    for (const i of [0, 1, 10_000, 19_899]) {
      expect(adapter.replay([`channel-${i}`], { epoch, seq: i })).toEqual({
        events: [],
        reset: 'expired',
        headId: `${epoch}.20000`,
      });
    }
  });

  it('keeps a channel published to again at the end of the eviction order', () => {
    const adapter = new InMemorySseAdapter({ maxChannels: 2 });
    const first = adapter.publish('a', body(1)) as string;
    adapter.publish('b', body(2));
    adapter.publish('a', body(3));
    adapter.publish('c', body(4));
    const { epoch } = parseEventId(first)!;
    expect(adapter.replay(['a'], parseEventId(first)!).events.map((e) => e.seq)).toEqual([3]);
    expect(adapter.replay(['b'], { epoch, seq: 1 }).reset).toBe('expired');
  });
});
