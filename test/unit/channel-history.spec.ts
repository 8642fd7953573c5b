import { ChannelHistory } from '../../lib/brokers/in-memory/channel-history.js';
import type { SseBrokerEvent } from '../../lib/broker.js';

function event(seq: number, channel = 'a'): SseBrokerEvent {
  return { channel, epoch: 'e', seq, payload: `data: ${seq}\n\n` };
}

const seqs = (events: SseBrokerEvent[]) => events.map((e) => e.seq);

describe('ChannelHistory', () => {
  it('returns the events after a seq, oldest first', () => {
    const history = new ChannelHistory({ maxEvents: 100, maxAgeMs: 0, maxBytes: 1e9 });
    for (const seq of [2, 5, 9, 14]) history.add(event(seq), 10, 0);
    expect(seqs(history.after(0, 1e9))).toEqual([2, 5, 9, 14]);
    expect(seqs(history.after(5, 1e9))).toEqual([9, 14]);
    expect(seqs(history.after(6, 1e9))).toEqual([9, 14]);
    expect(seqs(history.after(14, 1e9))).toEqual([]);
    expect(seqs(history.after(99, 1e9))).toEqual([]);
    expect(history.droppedUpTo).toBe(0);
  });

  it('keeps at most maxEvents, remembering the newest seq it let go', () => {
    const history = new ChannelHistory({ maxEvents: 3, maxAgeMs: 0, maxBytes: 1e9 });
    for (let seq = 1; seq <= 10; seq++) history.add(event(seq), 10, 0);
    expect(history.size).toBe(3);
    expect(seqs(history.after(0, 1e9))).toEqual([8, 9, 10]);
    expect(history.droppedUpTo).toBe(7);
  });

  it('stays bounded and correct over many events (compacting its storage)', () => {
    const history = new ChannelHistory({ maxEvents: 10, maxAgeMs: 0, maxBytes: 1e9 });
    for (let seq = 1; seq <= 5000; seq++) history.add(event(seq), 10, 0);
    expect(history.size).toBe(10);
    expect(seqs(history.after(4995, 1e9))).toEqual([4996, 4997, 4998, 4999, 5000]);
    expect(history.droppedUpTo).toBe(4990);
  });

  it('drops events older than maxAgeMs, when adding and when pruned', () => {
    const history = new ChannelHistory({ maxEvents: 100, maxAgeMs: 1000, maxBytes: 1e9 });
    history.add(event(1), 10, 0);
    history.add(event(2), 10, 500);
    history.add(event(3), 10, 1200);
    expect(seqs(history.after(0, 1e9))).toEqual([2, 3]);
    expect(history.droppedUpTo).toBe(1);
    history.prune(1500);
    expect(seqs(history.after(0, 1e9))).toEqual([2, 3]);
    history.prune(1501);
    expect(seqs(history.after(0, 1e9))).toEqual([3]);
    expect(history.droppedUpTo).toBe(2);
    history.prune(10_000);
    expect(history.size).toBe(0);
    expect(history.droppedUpTo).toBe(3);
  });

  it('keeps events by count only when maxAgeMs is 0', () => {
    const history = new ChannelHistory({ maxEvents: 100, maxAgeMs: 0, maxBytes: 1e9 });
    history.add(event(1), 10, 0);
    history.prune(Number.MAX_SAFE_INTEGER);
    expect(seqs(history.after(0, 1e9))).toEqual([1]);
  });

  it('returns at most `limit` events after a seq', () => {
    const history = new ChannelHistory({ maxEvents: 100, maxAgeMs: 0, maxBytes: 1e9 });
    for (let seq = 1; seq <= 10; seq++) history.add(event(seq), 10, 0);
    expect(seqs(history.after(3, 4))).toEqual([4, 5, 6, 7]);
    expect(seqs(history.after(8, 4))).toEqual([9, 10]);
  });

  it('keeps at most maxBytes, evicting the oldest first but always the newest event', () => {
    const history = new ChannelHistory({ maxEvents: 100, maxAgeMs: 0, maxBytes: 25 });
    const dropped = [1, 2, 3, 4].map((seq) => history.add(event(seq), 10, 0));
    expect(dropped).toEqual([0, 0, 10, 10]);
    expect([seqs(history.after(0, 1e9)), history.bytes, history.droppedUpTo]).toEqual([[3, 4], 20, 2]);
    expect(history.add(event(5), 100, 0)).toEqual(20);
    expect([seqs(history.after(0, 1e9)), history.bytes]).toEqual([[5], 100]);
  });

  it('evicts its oldest event for the broker-wide budget, returning its bytes', () => {
    const history = new ChannelHistory({ maxEvents: 100, maxAgeMs: 0, maxBytes: 1e9 });
    history.add(event(1), 7, 0);
    history.add(event(2), 9, 0);
    expect([history.evictOldest(), history.oldestSeq, history.bytes, history.droppedUpTo]).toEqual([7, 2, 9, 1]);
  });
});
