import { SseHubTotals } from '../../lib/metrics/sse-hub-totals.js';
import { sseMetric } from '../../lib/metrics/index.js';
import type { SseHub, SseHubStats, SseInstrumentation } from '../../lib/index.js';
import { zeroHubStats } from '../utils/hub-stats.js';

/** A hub as the totals see it: its stats() and instrument(). */
function fakeHub(stats: Partial<SseHubStats>) {
  const observers = new Set<SseInstrumentation>();
  const hub = {
    current: stats,
    observers,
    stats: () => zeroHubStats(hub.current),
    instrument: (observer: SseInstrumentation) => {
      observers.add(observer);
      return () => observers.delete(observer);
    },
  };
  return hub as typeof hub & SseHub;
}

describe('SseHubTotals', () => {
  const opened = sseMetric('sse_streams_opened_total');
  const open = sseMetric('sse_streams_open');
  const refusals = sseMetric('sse_refusals_total');

  it('adds up the hubs attached, keeps the counters of a hub that left and drops its gauges', () => {
    const totals = new SseHubTotals();
    const first = fakeHub({ opened: 2, openByRoute: { '/a': 1 } });
    const second = fakeHub({ opened: 3, openByRoute: { '/a': 2 }, refused: { 401: 1, 403: 0, 429: 0, 503: 4 } });
    totals.add(first, {});
    totals.add(second, {});
    totals.add(second, {});
    expect(second.observers.size).toBe(1);
    expect(totals.read()(opened)).toEqual([{ labels: {}, value: 5 }]);

    second.current = { ...second.current, opened: 4, openByRoute: { '/a': 0 } };
    totals.remove(second);
    expect(second.observers.size).toBe(0);
    expect(totals.size).toBe(1);
    let read = totals.read();
    expect(read(opened)).toEqual([{ labels: {}, value: 6 }]);
    expect(read(open)).toEqual([{ labels: { route: '/a' }, value: 1 }]);
    expect(read(refusals)).toContainEqual({ labels: { status: '503' }, value: 4 });

    totals.remove(first);
    totals.remove(first);
    read = totals.read();
    expect(read(opened)).toEqual([{ labels: {}, value: 6 }]);
    expect(read(open)).toEqual([]);
    expect(read(sseMetric('sse_broker_up'))).toEqual([]);
  });
});
