import { jest } from '@jest/globals';
import type { Logger } from '@nestjs/common';
import { of, Subject } from 'rxjs';
import { ScheduledBroadcast, type BroadcastTarget } from '../../lib/schedule/scheduled-broadcast.js';
import { cronTiming, periodTiming } from '../../lib/schedule/tick-timing.js';
import { sseEvent } from '../../lib/index.js';
import { deferred } from '../utils/wait.js';

class FakeTarget implements BroadcastTarget {
  readonly published: unknown[] = [];
  started = 0;
  listeners = 1;
  gate?: Promise<void>;

  async publish(channel: string, value: unknown): Promise<string> {
    this.started++;
    if (this.gate) await this.gate;
    this.published.push(value);
    return String(this.published.length);
  }

  count(): number {
    return this.listeners;
  }
}

function logger() {
  const lines: string[] = [];
  const log = (line: unknown) => void lines.push(String(line));
  return { lines, logger: { warn: log, error: log, log, debug: log } as unknown as Logger };
}

function job(target: FakeTarget, options: { skipWhenIdle?: boolean; acquire?: () => boolean | Promise<boolean> } = {}) {
  const { lines, logger: log } = logger();
  const broadcast = new ScheduledBroadcast(
    { name: 'job', channel: 'news', skipWhenIdle: options.skipWhenIdle ?? false, timing: periodTiming(1000) },
    target,
    { acquire: options.acquire ?? (() => true) },
    log,
  );
  return { broadcast, lines };
}

describe('tick timing', () => {
  it('gives every tick of one period-long window the same key, and the next window another', () => {
    const timing = periodTiming(1000);
    expect(timing.keyOf(5_000)).toBe(timing.keyOf(5_999));
    expect(timing.keyOf(6_000)).not.toBe(timing.keyOf(5_999));
    expect(timing.ttlMs(0)).toBe(1000);
  });

  it('keys a cron tick by its scheduled second, a few milliseconds early or late', () => {
    const timing = cronTiming(() => 60_000);
    expect(timing.keyOf(1_700_000_000_004)).toBe(timing.keyOf(1_699_999_999_998));
    expect(timing.keyOf(1_700_000_001_003)).not.toBe(timing.keyOf(1_700_000_000_004));
    expect(timing.ttlMs(0)).toBe(60_000);
  });

  it('holds a cron claim at least a second, also when there is no next fire', () => {
    expect(cronTiming(() => 10).ttlMs(0)).toBe(1000);
    expect(
      cronTiming(() => {
        throw new Error('no next date');
      }).ttlMs(0),
    ).toBe(1000);
  });
});

describe('ScheduledBroadcast', () => {
  it('publishes a value, an sseEvent and the value of a Promise; nothing for undefined and null', async () => {
    const target = new FakeTarget();
    const { broadcast } = job(target);
    const event = sseEvent({ event: 'e', data: 1 });
    for (const value of ['plain', event, Promise.resolve('later'), undefined, null, Promise.resolve(undefined)]) {
      await broadcast.tick(() => value);
    }
    expect(target.published).toEqual(['plain', event, 'later']);
  });

  it("publishes an Observable's values in order, each once the previous one is published", async () => {
    const target = new FakeTarget();
    const gate = deferred();
    target.gate = gate.promise;
    const { broadcast } = job(target);
    const run = broadcast.tick(() => of(1, 2, 3));
    await new Promise((resolve) => setImmediate(resolve));
    expect(target.started).toBe(1);
    gate.resolve();
    await run;
    expect(target.published).toEqual([1, 2, 3]);
  });

  it('does not call the producer when the lock refuses the tick', async () => {
    const target = new FakeTarget();
    const producer = jest.fn(() => 'x');
    const { broadcast } = job(target, { acquire: () => Promise.resolve(false) });
    await broadcast.tick(producer);
    expect(producer).not.toHaveBeenCalled();
  });

  it('with skipWhenIdle, neither asks the lock nor calls the producer while nobody listens', async () => {
    const target = new FakeTarget();
    target.listeners = 0;
    const acquire = jest.fn(() => true);
    const producer = jest.fn(() => 'x');
    const { broadcast } = job(target, { skipWhenIdle: true, acquire });
    await broadcast.tick(producer);
    expect(acquire).not.toHaveBeenCalled();
    expect(producer).not.toHaveBeenCalled();
  });

  it('ends a run in progress when closed: no later value is published, and the tick resolves', async () => {
    const target = new FakeTarget();
    const values = new Subject<string>();
    const { broadcast } = job(target);
    const run = broadcast.tick(() => values);
    await new Promise((resolve) => setImmediate(resolve));
    expect(values.observed).toBe(true);
    values.next('before');
    await new Promise((resolve) => setImmediate(resolve));
    broadcast.close();
    values.next('after');
    await run;
    expect(target.published).toEqual(['before']);
    expect(values.observed).toBe(false);
    const producer = jest.fn();
    await broadcast.tick(producer);
    expect(producer).not.toHaveBeenCalled();
  });

  it('logs a failure with the job name, and a value the hub refuses fails the run like a throw', async () => {
    const target = new FakeTarget();
    target.publish = () => Promise.reject(new TypeError('SseHub assigns event ids itself'));
    const { broadcast, lines } = job(target);
    await broadcast.tick(() => of(1, 2));
    expect(lines).toEqual([
      'Scheduled broadcast "job" (channel "news") failed: SseHub assigns event ids itself. The job keeps running.',
    ]);
  });
});
