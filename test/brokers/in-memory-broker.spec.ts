import { jest } from '@jest/globals';
import { describeBrokerContract, InMemorySseBroker, type SseBrokerMessage } from 'nestjs-event-stream/broker';

describeBrokerContract('InMemorySseBroker', (options) => new InMemorySseBroker({ ...options }));

describe('InMemorySseBroker', () => {
  it('starts a new epoch per instance, so the positions of a restarted hub are unknown to the next one', () => {
    const before = new InMemorySseBroker();
    const after = new InMemorySseBroker();
    const position = before.publish('a', '1');
    after.publish('a', '1');
    expect(after.publish('a', '2').epoch).not.toBe(position.epoch);
    expect(after.read(['a'], position, 10).reset).toBe('unknown');
  });

  it('keeps no history with maxEvents 0, and still delivers', () => {
    const broker = new InMemorySseBroker({ maxEvents: 0 });
    const delivered: SseBrokerMessage[] = [];
    broker.messages$.subscribe((message) => delivered.push(message));
    broker.connect();
    const first = broker.publish('a', '1');
    broker.publish('a', '2');
    expect(delivered).toHaveLength(2);
    expect(broker.read(['a'], first, 10).events).toEqual([]);
  });

  it('says a position expired when it keeps no history and events came after it (never a silent gap)', () => {
    const broker = new InMemorySseBroker({ maxEvents: 0 });
    broker.connect();
    const first = broker.publish('a', '1');
    const last = broker.publish('a', '2');
    expect(broker.read(['a'], first, 10).reset).toBe('expired');
    expect(broker.read(['a'], last, 10).reset).toBeUndefined();
  });

  it('refuses bad options when it is built directly, naming the option', () => {
    expect(() => new InMemorySseBroker({ maxChannels: 0 })).toThrow(/InMemorySseBroker maxChannels.*integer >= 1/);
    expect(() => new InMemorySseBroker({ maxEvents: -1 })).toThrow(/InMemorySseBroker maxEvents/);
    expect(() => new InMemorySseBroker({ maxAgeMs: 1.5 })).toThrow(/InMemorySseBroker maxAgeMs/);
  });

  it('forgets events older than maxAgeMs and says the position expired', () => {
    let now = 1_000_000;
    const clock = jest.spyOn(Date, 'now').mockImplementation(() => now);
    try {
      const broker = new InMemorySseBroker({ maxAgeMs: 1000 });
      const old = broker.publish('a', '1');
      now += 600;
      const kept = broker.publish('a', '2');
      now += 600;
      const page = broker.read(['a'], old, 10);
      expect(page.events.map((e) => e.seq)).toEqual([kept.seq]);
      expect(page.reset).toBeUndefined();
      const fresh = broker.publish('a', '3');
      now += 1001;
      expect(broker.read(['a'], kept, 10)).toEqual({ events: [], more: false, reset: 'expired', head: fresh });
    } finally {
      clock.mockRestore();
    }
  });

  it('keeps the history of at most maxChannels channels, dropping the one published to least recently', () => {
    const broker = new InMemorySseBroker({ maxChannels: 100 });
    const { epoch } = broker.publish('channel-0', '0');
    for (let i = 1; i < 20_000; i++) broker.publish(`channel-${i}`, `${i}`);
    // The 100 channels published to last are kept: each returns its event (seq = index + 1).
    for (let i = 19_900; i < 20_000; i++) {
      expect(broker.read([`channel-${i}`], { epoch, seq: i }, 10).events.map((e) => e.seq)).toEqual([i + 1]);
    }
    // Older ones were dropped, and a position from before them says so instead of a silent gap.
    for (const i of [0, 1, 10_000, 19_899]) {
      expect(broker.read([`channel-${i}`], { epoch, seq: i }, 10)).toEqual({
        events: [],
        more: false,
        reset: 'expired',
        head: { epoch, seq: 20_000 },
      });
    }
  });

  it('keeps a channel published to again at the end of the eviction order', () => {
    const broker = new InMemorySseBroker({ maxChannels: 2 });
    const first = broker.publish('a', '1');
    broker.publish('b', '2');
    broker.publish('a', '3');
    broker.publish('c', '4');
    expect(broker.read(['a'], first, 10).events.map((e) => e.seq)).toEqual([3]);
    expect(broker.read(['b'], { epoch: first.epoch, seq: 1 }, 10).reset).toBe('expired');
  });

  it('forgets an idempotency key after idempotencyTtlMs: a publish with it then is a new one', () => {
    let now = 1_000_000;
    const clock = jest.spyOn(Date, 'now').mockImplementation(() => now);
    try {
      const broker = new InMemorySseBroker({ idempotencyTtlMs: 1000 });
      const first = broker.publish('room', 'x', { idempotencyKey: 'k' });
      now += 1000 - 1;
      expect(broker.publish('room', 'x', { idempotencyKey: 'k' })).toEqual(first);
      now += 1;
      expect(broker.publish('room', 'x', { idempotencyKey: 'k' }).seq).toBe(first.seq + 1);
    } finally {
      clock.mockRestore();
    }
  });

  it('remembers at most maxIdempotencyKeys keys, forgetting the oldest', () => {
    const broker = new InMemorySseBroker({ maxIdempotencyKeys: 3 });
    const first = broker.publish('room', '0', { idempotencyKey: 'k0' });
    for (let i = 1; i < 4; i++) broker.publish('room', `${i}`, { idempotencyKey: `k${i}` });
    expect(broker.publish('room', '0', { idempotencyKey: 'k0' }).seq).toBeGreaterThan(first.seq);
    expect(broker.publish('room', '3', { idempotencyKey: 'k3' }).seq).toBe(4);
    expect(() => new InMemorySseBroker({ idempotencyTtlMs: 0 })).toThrow('"InMemorySseBroker idempotencyTtlMs"');
    expect(() => new InMemorySseBroker({ maxIdempotencyKeys: 1.5 })).toThrow('"InMemorySseBroker maxIdempotencyKeys"');
  });

  it('pages a long history: no read returns more than the limit, and the pages hold every event once, in order', () => {
    const broker = new InMemorySseBroker({ maxEvents: 5000 });
    const published = Array.from({ length: 5000 }, (_, i) => broker.publish(i % 2 ? 'odd' : 'even', `${i}`));
    let after = { epoch: published[0].epoch, seq: 0 };
    const read: number[] = [];
    for (;;) {
      const page = broker.read(['odd', 'even'], after, 100);
      expect(page.events.length).toBeLessThanOrEqual(100);
      read.push(...page.events.map((e) => e.seq));
      if (!page.more) break;
      after = page.events[page.events.length - 1];
    }
    expect(read).toEqual(published.map((p) => p.seq));
  });
});
