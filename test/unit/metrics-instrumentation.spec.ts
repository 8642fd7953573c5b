import { jest } from '@jest/globals';
import { Logger } from '@nestjs/common';
import { SseInstruments } from '../../lib/stream/sse-instrumentation.js';
import { SseCounters } from '../../lib/stream/sse-counters.js';

describe('SseInstruments', () => {
  it('is inactive without observers, and calls each observer until it is removed', () => {
    const instruments = new SseInstruments();
    expect(instruments.active).toBe(false);
    const seen: string[] = [];
    const remove = instruments.add({ streamClosed: ({ route, reason }) => seen.push(`${route} ${reason}`) });
    instruments.add({ published: () => seen.push('published') });
    expect(instruments.active).toBe(true);
    instruments.streamClosed({ route: '/a', reason: 'completed', durationMs: 5 });
    remove();
    instruments.streamClosed({ route: '/b', reason: 'completed', durationMs: 5 });
    expect(seen).toEqual(['/a completed']);
  });

  it('times a publish that answers at once, later, or fails, and reports the outcome', async () => {
    const instruments = new SseInstruments();
    const published: { ok: boolean; durationMs: number }[] = [];
    instruments.add({ published: (info) => published.push(info) });
    expect(instruments.timePublish(() => 7)).toBe(7);
    await expect(
      instruments.timePublish(() => new Promise((resolve) => setTimeout(() => resolve(8), 20))),
    ).resolves.toBe(8);
    await expect(instruments.timePublish(() => Promise.reject(new Error('down')))).rejects.toThrow('down');
    expect(() =>
      instruments.timePublish(() => {
        throw new Error('sync');
      }),
    ).toThrow('sync');
    expect(published.map((info) => info.ok)).toEqual([true, true, false, false]);
    expect(published[1].durationMs).toBeGreaterThanOrEqual(15);
  });

  it('logs an observer that throws and goes on with the others', () => {
    const error = jest.spyOn(Logger.prototype, 'error').mockImplementation(() => undefined);
    const instruments = new SseInstruments();
    const seen: number[] = [];
    instruments.add({
      streamClosed: () => {
        throw new Error('broken observer');
      },
    });
    instruments.add({ streamClosed: ({ durationMs }) => seen.push(durationMs) });
    instruments.streamClosed({ route: '/a', reason: 'error', durationMs: 3 });
    expect(seen).toEqual([3]);
    expect(error).toHaveBeenCalledWith(
      expect.stringContaining('streamClosed()'),
      expect.stringContaining('broken observer'),
    );
    error.mockRestore();
  });
});

describe('SseCounters', () => {
  it('keeps a route once it had a stream, at 0 when its streams are gone', () => {
    const counters = new SseCounters();
    counters.streamOpened('/a');
    counters.streamOpened('/a');
    counters.streamClosed('/a', 'completed');
    counters.streamClosed('/a', 'client-closed');
    expect(counters.openByRoute()).toEqual({ '/a': 0 });
    expect(counters.opened).toBe(2);
    expect(counters.closed.completed).toBe(1);
    expect(counters.closed['client-closed']).toBe(1);
  });

  it('counts the refusal statuses it knows, and nothing else', () => {
    const counters = new SseCounters();
    for (const status of [401, 403, 429, 503, 400, 500, 503]) counters.refusal(status);
    expect(counters.refused).toEqual({ 401: 1, 403: 1, 429: 1, 503: 2 });
  });
});
