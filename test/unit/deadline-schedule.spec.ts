import { jest } from '@jest/globals';
import { DeadlineSchedule, MAX_TIMER_DELAY_MS } from '../../lib/stream/deadline-schedule.js';

describe('DeadlineSchedule', () => {
  beforeEach(() => {
    jest.useFakeTimers({ now: 1_000_000 });
  });
  afterEach(() => {
    jest.useRealTimers();
  });

  function schedule() {
    const expired: string[] = [];
    const s = new DeadlineSchedule<string>((value) => expired.push(value));
    return { s, expired };
  }

  it('calls back each key at its time, in time order, with one timer for all', () => {
    const { s, expired } = schedule();
    s.add('c', 1_000_300, 'C');
    s.add('a', 1_000_100, 'A');
    s.add('b', 1_000_200, 'B');
    expect(jest.getTimerCount()).toBe(1);
    jest.advanceTimersByTime(99);
    expect(expired).toEqual([]);
    jest.advanceTimersByTime(1);
    expect(expired).toEqual(['A']);
    jest.advanceTimersByTime(200);
    expect(expired).toEqual(['A', 'B', 'C']);
    expect(s.size).toBe(0);
    expect(s.hasTimer).toBe(false);
    expect(jest.getTimerCount()).toBe(0);
  });

  it('never calls back synchronously, even for a time already past', () => {
    const { s, expired } = schedule();
    s.add('late', 1, 'L');
    expect(expired).toEqual([]);
    jest.advanceTimersByTime(0);
    expect(expired).toEqual(['L']);
  });

  it('stops its timer when the last key is deleted, and does not call back deleted keys', () => {
    const { s, expired } = schedule();
    s.add('a', 1_000_100, 'A');
    s.add('b', 1_000_200, 'B');
    s.delete('a');
    expect(s.hasTimer).toBe(true);
    s.delete('b');
    expect(s.hasTimer).toBe(false);
    expect(jest.getTimerCount()).toBe(0);
    jest.advanceTimersByTime(1000);
    expect(expired).toEqual([]);
  });

  it('uses the latest time of a key added twice', () => {
    const { s, expired } = schedule();
    s.add('a', 1_000_100, 'first');
    s.add('a', 1_000_500, 'second');
    jest.advanceTimersByTime(200);
    expect(expired).toEqual([]);
    jest.advanceTimersByTime(300);
    expect(expired).toEqual(['second']);
  });

  it('keeps its heap bounded when keys come and go (compaction)', () => {
    const { s, expired } = schedule();
    s.add('keep', 1_000_000 + 10_000, 'K');
    for (let i = 0; i < 10_000; i++) {
      s.add(`k${i}`, 1_000_000 + 5_000 + i, `V${i}`);
      s.delete(`k${i}`);
    }
    expect(s.size).toBe(1);
    expect((s as unknown as { heap: unknown[] }).heap.length).toBeLessThanOrEqual(130);
    jest.advanceTimersByTime(10_000);
    expect(expired).toEqual(['K']);
  });

  it('re-arms for expiries beyond the longest setTimeout delay instead of firing at once', () => {
    const { s, expired } = schedule();
    s.add('far', 1_000_000 + MAX_TIMER_DELAY_MS + 5_000, 'F');
    jest.advanceTimersByTime(MAX_TIMER_DELAY_MS);
    expect(expired).toEqual([]);
    expect(s.hasTimer).toBe(true);
    jest.advanceTimersByTime(5_000);
    expect(expired).toEqual(['F']);
  });

  it('clear() forgets everything and stops the timer', () => {
    const { s, expired } = schedule();
    s.add('a', 1_000_100, 'A');
    s.clear();
    expect([s.size, s.hasTimer, jest.getTimerCount()]).toEqual([0, false, 0]);
    jest.advanceTimersByTime(1000);
    expect(expired).toEqual([]);
  });
});
