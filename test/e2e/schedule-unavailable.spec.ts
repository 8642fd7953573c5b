import { ScheduleModule } from '@nestjs/schedule';
import { SseBrokerUnavailableError, SseScheduler, type SseScheduleLock } from '../../lib/index.js';
import type { SseBrokerPosition } from '../../lib/broker.js';
import { DelegatingBroker } from '../src/hub/hub-fixture.js';
import { CaptureLogger } from '../utils/capture-logger.js';
import { startApp, type TestApp } from '../utils/test-app.js';

/**
 * What a broker and its schedule lock reject with while their server is away:
 * an `SseBrokerUnavailableError` (the scheduler knows it by its mark). `detail`:
 * for logs only (where the server is, what the OS said); the message is what a
 * client may see.
 */
class UnavailableError extends SseBrokerUnavailableError {
  constructor(message: string, detail?: string) {
    super(message, { detail });
  }
}

/** Counts calls, and resolves `waitFor(n)` once there were n of them. */
class Counter {
  calls = 0;
  private readonly waiters: { n: number; resolve: () => void }[] = [];

  hit(): void {
    this.calls++;
    for (const waiter of this.waiters.filter((w) => this.calls >= w.n)) {
      this.waiters.splice(this.waiters.indexOf(waiter), 1);
      waiter.resolve();
    }
  }

  waitFor(n: number): Promise<void> {
    return this.calls >= n ? Promise.resolve() : new Promise((resolve) => this.waiters.push({ n, resolve }));
  }
}

/** A broker whose publishing to `failing` channels rejects as a Redis broker does while Redis is down. */
class OutageBroker extends DelegatingBroker {
  readonly failing = new Map<string, () => Error>();
  readonly failures = new Counter();
  readonly published = new Counter();

  override publish(...args: Parameters<DelegatingBroker['publish']>): Promise<SseBrokerPosition> {
    const failure = this.failing.get(args[0]);
    if (failure) {
      this.failures.hit();
      return Promise.reject(failure());
    }
    return Promise.resolve(super.publish(...args)).finally(() => this.published.hit());
  }
}

/** The in-memory lock, except while `down`: then it rejects as `RedisSseScheduleLock` does without Redis. */
class OutageLock implements SseScheduleLock {
  down = false;
  readonly failures = new Counter();

  acquire(): Promise<boolean> {
    if (!this.down) return Promise.resolve(true);
    this.failures.hit();
    return Promise.reject(
      new UnavailableError(
        'Service temporarily unavailable: nothing was sent. Retry in 5 seconds.',
        'Redis at 127.0.0.1:1 is unavailable (connect ECONNREFUSED)',
      ),
    );
  }
}

const logs = new CaptureLogger();
const broker = new OutageBroker();
const lock = new OutageLock();

describe('scheduled broadcasts while the broker is unavailable', () => {
  let server: TestApp;
  let scheduler: SseScheduler;
  /** Schedules `name` every 10 ms on channel `name`, whether or not anyone listens. */
  const schedule = (name: string) =>
    scheduler.schedule(name, { every: 10 }, () => `tick of ${name}`, { channel: name, skipWhenIdle: false });
  const recovered = /runs again: (\d+) ticks? failed over [\d.]+ s while the hub's broker was unavailable\.$/;

  beforeAll(async () => {
    server = await startApp({ imports: [ScheduleModule.forRoot()] }, { broker, scheduleLock: lock }, (app) =>
      app.useLogger(logs),
    );
    scheduler = server.app.get(SseScheduler);
  });
  afterEach(() => {
    for (const name of ['outage', 'lock-outage', 'broken']) scheduler.unschedule(name);
    broker.failing.clear();
    lock.down = false;
    logs.clear();
  });
  afterAll(() => server.close());

  it('logs one error when publishing starts failing, and one line with the count of failed ticks when it works again', async () => {
    broker.failing.set('outage', () => new UnavailableError('Redis at 127.0.0.1:1 is unavailable (ECONNREFUSED)'));
    schedule('outage');
    await broker.failures.waitFor(8);
    expect(logs.messages('error', '"outage"')).toEqual([
      'Scheduled broadcast "outage" (channel "outage") cannot reach the hub\'s broker: Redis at 127.0.0.1:1 is unavailable (ECONNREFUSED). Its ticks fail until the broker is back; this is logged once, and again when it is back.',
    ]);

    broker.failing.delete('outage');
    const failed = broker.failures.calls;
    const back = await logs.waitFor('log', 'Scheduled broadcast "outage"');
    scheduler.unschedule('outage');
    expect(back.message).toMatch(recovered);
    expect(Number(recovered.exec(back.message)![1])).toBe(failed);
    expect(logs.messages('error', '"outage"')).toHaveLength(1);
  });

  it('logs one error (with the detail kept from clients) while the schedule lock cannot reach the broker, and one line when it answers again', async () => {
    const before = broker.published.calls;
    lock.down = true;
    schedule('lock-outage');
    await lock.failures.waitFor(8);
    expect(logs.messages('error', '"lock-outage"')).toEqual([
      'Scheduled broadcast "lock-outage" (channel "lock-outage") cannot reach the hub\'s broker: Redis at 127.0.0.1:1 is unavailable (connect ECONNREFUSED). Its ticks fail until the broker is back; this is logged once, and again when it is back.',
    ]);
    expect(broker.published.calls).toBe(before);

    lock.down = false;
    const failed = lock.failures.calls;
    const back = await logs.waitFor('log', 'Scheduled broadcast "lock-outage"');
    scheduler.unschedule('lock-outage');
    expect(Number(recovered.exec(back.message)![1])).toBe(failed);
  });

  it('still logs every failure that is not the broker being unavailable, once per tick', async () => {
    broker.failing.set('broken', () => new TypeError('not serializable'));
    const failures = broker.failures.calls;
    schedule('broken');
    // The fourth failure comes a tick after the third, whose error has been logged by then.
    await broker.failures.waitFor(failures + 4);
    expect(logs.messages('error', '"broken"').slice(0, 3)).toEqual(
      Array(3).fill('Scheduled broadcast "broken" (channel "broken") failed: not serializable. The job keeps running.'),
    );
  });
});
