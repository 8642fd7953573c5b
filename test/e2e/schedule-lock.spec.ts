import { ScheduleModule } from '@nestjs/schedule';
import { InMemorySseScheduleLock, SseScheduler, type SseScheduleLock } from '../../lib/index.js';
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

function until(predicate: () => boolean): Promise<void> {
  return new Promise((resolve) => {
    const check = () => (predicate() ? resolve() : setImmediate(check));
    check();
  });
}

describe('the schedule lock', () => {
  it('is the in-memory lock by default, which lets every instance run every tick', async () => {
    const lock: SseScheduleLock = new InMemorySseScheduleLock();
    expect(await lock.acquire('job', 'tick', 1000)).toBe(true);
    const servers = await Promise.all([1, 2].map(() => startApp({ imports: [ScheduleModule.forRoot()] })));
    try {
      const runs = servers.map(() => 0);
      servers.forEach((server, i) =>
        server.app.get(SseScheduler).schedule('solo', { every: 20 }, () => void runs[i]++, {
          channel: 'solo',
          skipWhenIdle: false,
        }),
      );
      // With no lock shared between them, neither instance ever loses a tick to the other.
      await until(() => runs.every((n) => n >= 3));
    } finally {
      await Promise.all(servers.map((server) => server.close()));
    }
  });

  describe('shared by several instances through the scheduleLock option', () => {
    const lock = new ClusterLock();
    const logs = new CaptureLogger();
    let instances: TestApp[];

    beforeAll(async () => {
      instances = await Promise.all(
        [1, 2, 3].map(() =>
          startApp({ imports: [ScheduleModule.forRoot()] }, { scheduleLock: lock }, (app) => app.useLogger(logs)),
        ),
      );
    });
    afterAll(() => Promise.all(instances.map((instance) => instance.close())));

    it('is the one lock every instance asks', async () => {
      instances.forEach((instance) =>
        instance.app.get(SseScheduler).schedule('asked', { every: 30 }, () => undefined, {
          channel: 'asked',
          skipWhenIdle: false,
        }),
      );
      const claimsOfTick = () => {
        const byTick = new Map<string, number>();
        for (const claim of lock.claims.filter((c) => c.jobName === 'asked')) {
          byTick.set(claim.tickKey, (byTick.get(claim.tickKey) ?? 0) + 1);
        }
        return [...byTick.values()];
      };
      // Each instance claims each tick from `lock`: some tick was claimed by all three.
      await until(() => claimsOfTick().includes(instances.length));
      instances.forEach((instance) => instance.app.get(SseScheduler).unschedule('asked'));
      expect(Math.max(...claimsOfTick())).toBe(instances.length);
    });

    it('lets one instance run each tick', async () => {
      const runs: { instance: number; at: number }[] = [];
      instances.forEach((instance, i) =>
        instance.app
          .get(SseScheduler)
          .schedule('shared', { every: 30 }, () => void runs.push({ instance: i, at: Date.now() }), {
            channel: 'shared',
            skipWhenIdle: false,
          }),
      );
      await until(() => runs.length >= 4);
      instances.forEach((instance) => instance.app.get(SseScheduler).unschedule('shared'));

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
      const scheduler = instances[0].app.get(SseScheduler);
      let runs = 0;
      lock.failNext = 1;
      scheduler.schedule('lock-fails', { every: 10 }, () => void runs++, {
        channel: 'lock-fails',
        skipWhenIdle: false,
      });
      await logs.waitFor(
        'error',
        'Scheduled broadcast "lock-fails": the schedule lock failed (lock store unreachable)',
      );
      await until(() => runs >= 1);
      scheduler.unschedule('lock-fails');
    });
  });
});
