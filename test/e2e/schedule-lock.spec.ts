import { ScheduleModule } from '@nestjs/schedule';
import {
  InMemorySseAdapter,
  InMemorySseScheduleLock,
  SSE_SCHEDULE_LOCK,
  SseHub,
  type SseScheduleLock,
} from '../../lib/index.js';
import { CaptureLogger } from '../utils/capture-logger.js';
import { startApp, type TestApp } from '../utils/test-app.js';

/** A lock shared by several apps, as a Redis lock is by several instances: the first claim of a tick wins. */
class ClusterLock implements SseScheduleLock {
  readonly claims: { jobName: string; tickKey: string; ttlMs: number; won: boolean }[] = [];
  private readonly taken = new Set<string>();
  failNext = 0;

  async acquire(jobName: string, tickKey: string, ttlMs: number): Promise<boolean> {
    await Promise.resolve();
    if (this.failNext > 0) {
      this.failNext--;
      throw new Error('lock store unreachable');
    }
    const key = `${jobName}|${tickKey}`;
    const won = !this.taken.has(key);
    this.taken.add(key);
    this.claims.push({ jobName, tickKey, ttlMs, won });
    return won;
  }
}

class LockingAdapter extends InMemorySseAdapter {
  constructor(readonly lock: SseScheduleLock) {
    super();
  }
}

function until(predicate: () => boolean): Promise<void> {
  return new Promise((resolve) => {
    const check = () => (predicate() ? resolve() : setImmediate(check));
    check();
  });
}

describe('the schedule lock', () => {
  it('is the in-memory lock by default, injectable under SSE_SCHEDULE_LOCK', async () => {
    const server = await startApp({ imports: [ScheduleModule.forRoot()] });
    try {
      const lock = server.app.get<SseScheduleLock>(SSE_SCHEDULE_LOCK);
      expect(lock).toBeInstanceOf(InMemorySseScheduleLock);
      expect(await lock.acquire('job', 'tick', 1000)).toBe(true);
    } finally {
      await server.close();
    }
  });

  describe("shared by several instances through their adapters' lock", () => {
    const lock = new ClusterLock();
    const logs = new CaptureLogger();
    let instances: TestApp[];

    beforeAll(async () => {
      instances = await Promise.all(
        [1, 2, 3].map(() =>
          startApp({ imports: [ScheduleModule.forRoot()] }, { adapter: new LockingAdapter(lock) }, (app) =>
            app.useLogger(logs),
          ),
        ),
      );
    });
    afterAll(() => Promise.all(instances.map((instance) => instance.close())));

    it('is the one SSE_SCHEDULE_LOCK provides', () => {
      for (const instance of instances) expect(instance.app.get(SSE_SCHEDULE_LOCK)).toBe(lock);
    });

    it('lets one instance run each tick', async () => {
      const runs: { instance: number; at: number }[] = [];
      instances.forEach((instance, i) =>
        instance.app
          .get(SseHub)
          .schedule('shared', { every: 30 }, () => void runs.push({ instance: i, at: Date.now() }), {
            channel: 'shared',
            skipWhenIdle: false,
          }),
      );
      await until(() => runs.length >= 4);
      instances.forEach((instance) => instance.app.get(SseHub).unschedule('shared'));

      const claims = lock.claims.filter((c) => c.jobName === 'shared');
      const won = claims.filter((c) => c.won);
      expect(claims.every((c) => c.ttlMs === 30 && /^30ms:\d+$/.test(c.tickKey))).toBe(true);
      // Every run had won its tick; the instances that lost a tick did not run it.
      expect(claims.length).toBeGreaterThan(won.length);
      expect(runs.length).toBeLessThanOrEqual(won.length);
      // (A tick won just before unschedule() may not have run yet: at most one per instance.)
      expect(won.length - runs.length).toBeLessThanOrEqual(instances.length);
    });

    it('skips a tick (and logs it) when the lock fails, and runs the next one', async () => {
      const hub = instances[0].app.get(SseHub);
      let runs = 0;
      lock.failNext = 1;
      hub.schedule('lock-fails', { every: 10 }, () => void runs++, { channel: 'lock-fails', skipWhenIdle: false });
      await logs.waitFor(
        'error',
        'Scheduled broadcast "lock-fails": the schedule lock failed (lock store unreachable)',
      );
      await until(() => runs >= 1);
      hub.unschedule('lock-fails');
    });
  });
});
