import { Injectable, type OnModuleInit } from '@nestjs/common';
import { Interval, ScheduleModule, SchedulerRegistry } from '@nestjs/schedule';
import { interval, map, take } from 'rxjs';
import { Broadcast, SseHub, SseScheduler, sseEvent } from '../../lib/index.js';
import { ChannelStreamController } from '../src/schedule/channel-stream.controller.js';
import { CaptureLogger } from '../utils/capture-logger.js';
import { TestEventSource } from '../utils/event-source-client.js';
import { startApp, type TestApp } from '../utils/test-app.js';
import { deferred } from '../utils/wait.js';

/** Counts calls, and resolves `waitFor(n)` once there were n of them. */
class Counter {
  calls = 0;
  private readonly waiters: { n: number; resolve: () => void }[] = [];

  hit(): number {
    this.calls++;
    for (const waiter of this.waiters.filter((w) => this.calls >= w.n)) {
      this.waiters.splice(this.waiters.indexOf(waiter), 1);
      waiter.resolve();
    }
    return this.calls;
  }

  waitFor(n: number): Promise<void> {
    return this.calls >= n ? Promise.resolve() : new Promise((resolve) => this.waiters.push({ n, resolve }));
  }
}

/** Schedules a job before the app bootstraps (it is registered at bootstrap). */
@Injectable()
class ClockJobs implements OnModuleInit {
  readonly ticks = new Counter();

  constructor(private readonly scheduler: SseScheduler) {}

  onModuleInit() {
    this.scheduler.schedule('clock', { every: 20 }, () => sseEvent({ event: 'tick', data: { n: this.ticks.hit() } }), {
      channel: 'clock',
    });
  }
}

/** A decorated job that runs whether or not anyone listens. */
@Injectable()
class DecoratedClock {
  readonly ticks = new Counter();

  @Interval('decorated-clock', 10)
  @Broadcast('decorated-clock')
  tick() {
    return this.ticks.hit();
  }
}

const logs = new CaptureLogger();

async function start(): Promise<TestApp> {
  return startApp(
    {
      imports: [ScheduleModule.forRoot()],
      controllers: [ChannelStreamController],
      providers: [ClockJobs, DecoratedClock],
    },
    {},
    (app) => app.useLogger(logs),
  );
}

describe('SseScheduler.schedule()', () => {
  let server: TestApp;
  let scheduler: SseScheduler;
  let registry: SchedulerRegistry;
  const clients: TestEventSource[] = [];
  const open = (channel: string, types: string[] = []) => {
    const client = new TestEventSource(`${server.url}/channels/${channel}`, { types });
    clients.push(client);
    return client;
  };
  /** A job that counts its ticks whether or not anyone listens: the clock the other tests wait on. */
  const sentinel = (name: string, every = 20) => {
    const ticks = new Counter();
    scheduler.schedule(name, { every }, () => void ticks.hit(), { channel: `sentinel-${name}`, skipWhenIdle: false });
    return ticks;
  };

  beforeAll(async () => {
    server = await start();
    scheduler = server.app.get(SseScheduler);
    registry = server.app.get(SchedulerRegistry);
  });
  afterEach(() => {
    clients.splice(0).forEach((client) => client.close());
    logs.clear();
  });
  afterAll(() => server.close());

  it('starts a job scheduled before bootstrap, and delivers its events', async () => {
    expect(registry.getIntervals()).toContain('clock');
    const events = await open('clock', ['tick']).waitForEvents(2);
    expect(events.map((e) => e.type)).toEqual(['tick', 'tick']);
  });

  it('registers interval and cron jobs in SchedulerRegistry, and stops them when deleted there', async () => {
    const every = new Counter();
    const cron = new Counter();
    scheduler.schedule('every-20ms', { every: 20 }, () => every.hit(), { channel: 'every' });
    scheduler.schedule('each-second', { cron: '* * * * * *' }, () => `cron ${cron.hit()}`, { channel: 'cron' });
    expect(registry.getIntervals()).toContain('every-20ms');
    expect(registry.getCronJobs().has('each-second')).toBe(true);

    const [fromCron] = await open('cron').waitForEvents(1);
    expect(fromCron.data).toMatch(/^cron \d+$/);
    await open('every').waitForEvents(2);

    registry.deleteInterval('every-20ms');
    registry.deleteCronJob('each-second');
    const callsWhenDeleted = every.calls;
    const ticks = sentinel('after-delete');
    await ticks.waitFor(4);
    expect(every.calls).toBe(callsWhenDeleted);
    expect(scheduler.unschedule('every-20ms')).toBe(false);

    scheduler.schedule('every-20ms', { every: 20 }, () => every.hit(), { channel: 'every' });
    await every.waitFor(callsWhenDeleted + 1);
    expect(scheduler.unschedule('every-20ms')).toBe(true);
    expect(scheduler.unschedule('after-delete')).toBe(true);
    expect(registry.getIntervals()).not.toContain('every-20ms');
    expect(scheduler.unschedule('every-20ms')).toBe(false);
  });

  it('ticks an every job on the multiples of its period of the clock, the first within one period', async () => {
    const every = 100;
    // Scheduled half-way through a period (a wait for a moment of the clock, not for an event).
    await new Promise((resolve) => setTimeout(resolve, every - (Date.now() % every) + every / 2));
    const scheduledAt = Date.now();
    const runs: number[] = [];
    const ticks = new Counter();
    scheduler.schedule('aligned', { every }, () => void (runs.push(Date.now()), ticks.hit()), {
      channel: 'aligned',
      skipWhenIdle: false,
    });
    await ticks.waitFor(4);
    scheduler.unschedule('aligned');
    expect(runs[0] - scheduledAt).toBeLessThan(every);
    // Just after a multiple of `every` (by every/10; the first claims its tick every/10 later still), one tick each.
    expect(runs.map((at) => at % every < every / 2)).toEqual([true, true, true, true]);
    const numbers = runs.map((at) => Math.round(at / every));
    expect(numbers.slice(1).map((n, i) => n - numbers[i])).toEqual([1, 1, 1]);
  });

  it('refuses a second job with the same name, and bad arguments, naming them', () => {
    scheduler.schedule('taken', { every: 1000 }, () => 1, { channel: 'taken' });
    expect(() => scheduler.schedule('taken', { every: 1000 }, () => 1, { channel: 'taken' })).toThrow(
      'a scheduled job named "taken" already exists',
    );
    expect(() => scheduler.schedule('bad-every', { every: 0 }, () => 1, { channel: 'x' })).toThrow(
      'SseScheduler.schedule("bad-every"): every must be an integer of milliseconds from 1 to 2147483647, got number 0.',
    );
    expect(() => scheduler.schedule('bad-cron', { cron: 'not a cron' }, () => 1, { channel: 'x' })).toThrow(
      'SseScheduler.schedule("bad-cron"): "not a cron" is not a valid cron expression',
    );
    expect(() => scheduler.schedule('bad-channel', { every: 10 }, () => 1, { channel: 'no spaces' })).toThrow(
      'no spaces',
    );
    expect(registry.getIntervals()).not.toContain('bad-every');
    expect(scheduler.unschedule('taken')).toBe(true);
  });

  it('logs a failing producer with the job name and keeps the job running', async () => {
    let calls = 0;
    scheduler.schedule(
      'flaky-job',
      { every: 20 },
      () => {
        calls++;
        if (calls === 1) throw new Error('boom');
        if (calls === 2) return Promise.reject(new Error('rejected'));
        if (calls === 3)
          return interval(1).pipe(
            take(2),
            map((n) => {
              if (n === 1) throw new Error('observable failed');
              return 'partial';
            }),
          );
        return `ok ${calls}`;
      },
      { channel: 'flaky', skipWhenIdle: false },
    );
    const client = open('flaky');
    await client.waitFor((c) => c.events.some((e) => /^ok \d+$/.test(e.data)), 'an event after the failures');
    scheduler.unschedule('flaky-job');
    expect(logs.messages('error', 'Scheduled broadcast "flaky-job"')).toEqual([
      'Scheduled broadcast "flaky-job" (channel "flaky") failed: boom. The job keeps running.',
      'Scheduled broadcast "flaky-job" (channel "flaky") failed: rejected. The job keeps running.',
      'Scheduled broadcast "flaky-job" (channel "flaky") failed: observable failed. The job keeps running.',
    ]);
  });

  it('does not call the producer while no stream has joined the channel (skipWhenIdle, the default)', async () => {
    const idle = new Counter();
    scheduler.schedule('idle-job', { every: 20 }, () => `idle ${idle.hit()}`, { channel: 'idle' });
    await sentinel('while-idle').waitFor(4);
    expect(idle.calls).toBe(0);

    const [event] = await open('idle').waitForEvents(1);
    expect(event.data).toMatch(/^idle \d+$/);
    expect(idle.calls).toBeGreaterThan(0);
    scheduler.unschedule('idle-job');
    scheduler.unschedule('while-idle');
  });

  it('skips the ticks that come while a slow run is still going, rather than stacking them', async () => {
    const slow = deferred<string>();
    let calls = 0;
    scheduler.schedule('slow-job', { every: 10 }, () => (++calls === 1 ? slow.promise : `fast ${calls}`), {
      channel: 'slow',
      skipWhenIdle: false,
    });
    const client = open('slow');
    await logs.waitFor('warn', 'Scheduled broadcast "slow-job": the previous run has not finished');
    await sentinel('while-slow', 10).waitFor(3);
    expect(calls).toBe(1);

    slow.resolve('slow done');
    const events = await client.waitForEvents(2);
    scheduler.unschedule('slow-job');
    scheduler.unschedule('while-slow');
    expect(events[0].data).toBe('slow done');
    expect(events[1].data).toBe('fast 2');
  });
});

describe('scheduled broadcasts when the app closes', () => {
  it('runs nothing once app.close() has begun', async () => {
    const server = await start();
    const hub = server.app.get(SseHub);
    const scheduler = server.app.get(SseScheduler);
    const registry = server.app.get(SchedulerRegistry);
    const jobs = server.app.get(ClockJobs);
    const decorated = server.app.get(DecoratedClock);
    const other = new Counter();
    scheduler.schedule('other', { every: 10 }, () => other.hit(), { channel: 'other', skipWhenIdle: false });
    const slow = deferred<string>();
    let slowResolved = false;
    scheduler.schedule('in-flight', { every: 10 }, () => slow.promise.then((value) => ((slowResolved = true), value)), {
      channel: 'in-flight',
      skipWhenIdle: false,
    });
    await Promise.all([other.waitFor(2), decorated.ticks.waitFor(2), logs.waitFor('warn', '"in-flight"')]);
    const client = new TestEventSource(`${server.url}/channels/clock`, { types: ['tick'] });
    await client.waitForEvents(1);
    client.close();

    const closing = server.close();
    const atClose = {
      clock: jobs.ticks.calls,
      decorated: decorated.ticks.calls,
      other: other.calls,
      published: hub.stats().eventsPublished,
    };
    await closing;
    slow.resolve('too late');
    expect(registry.getIntervals()).toEqual([]);
    expect(registry.getCronJobs().size).toBe(0);
    expect(() => scheduler.schedule('late', { every: 10 }, () => 1, { channel: 'late' })).toThrow(
      'was called after the app began shutting down',
    );
    // Proving that nothing happens needs a wait: a few periods of the 10-20 ms jobs, on a plain timer.
    await new Promise((resolve) => setTimeout(resolve, 80));
    expect(slowResolved).toBe(true);
    expect({
      clock: jobs.ticks.calls,
      decorated: decorated.ticks.calls,
      other: other.calls,
      published: hub.stats().eventsPublished,
    }).toEqual(atClose);
  });
});
