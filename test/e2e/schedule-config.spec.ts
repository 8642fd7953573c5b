import { Injectable, type ModuleMetadata, type OnModuleInit } from '@nestjs/common';
import { Interval, ScheduleModule } from '@nestjs/schedule';
import { Test } from '@nestjs/testing';
import { Broadcast, SseChannelNameError, SseModule, SseScheduler } from '../../lib/index.js';

async function init(metadata: ModuleMetadata): Promise<() => Promise<void>> {
  const moduleRef = await Test.createTestingModule(metadata).compile();
  const app = moduleRef.createNestApplication({ logger: false });
  try {
    await app.init();
  } catch (error) {
    await app.close().catch(() => undefined);
    throw error;
  }
  return () => app.close();
}

@Injectable()
class Unscheduled {
  @Broadcast('news')
  latest() {
    return 'news';
  }
}

@Injectable()
class Scheduled {
  @Interval(1000)
  @Broadcast('news')
  latest() {
    return 'news';
  }
}

@Injectable()
class SchedulesAtInit implements OnModuleInit {
  constructor(private readonly scheduler: SseScheduler) {}

  onModuleInit() {
    this.scheduler.schedule('news', { every: 1000 }, () => 'news', { channel: 'news' });
  }
}

describe('scheduled broadcasts: configuration errors', () => {
  it('fails startup for a @Broadcast method without @Interval, @Cron or @Timeout', async () => {
    await expect(
      init({ imports: [SseModule.forRoot(), ScheduleModule.forRoot()], providers: [Unscheduled] }),
    ).rejects.toThrow(
      'nestjs-event-stream: @Broadcast() on Unscheduled.latest has no schedule. Add @Interval(), @Cron() or @Timeout() from @nestjs/schedule to the same method, or publish with SseHub.publish() yourself.',
    );
  });

  it('fails startup for @Broadcast when ScheduleModule.forRoot() is not imported', async () => {
    await expect(init({ imports: [SseModule.forRoot()], providers: [Scheduled] })).rejects.toThrow(
      'nestjs-event-stream: @Broadcast() needs ScheduleModule.forRoot() from @nestjs/schedule. Add it to the imports of your root module.',
    );
  });

  it('fails startup for SseScheduler.schedule() before init when ScheduleModule.forRoot() is not imported', async () => {
    await expect(init({ imports: [SseModule.forRoot()], providers: [SchedulesAtInit] })).rejects.toThrow(
      'nestjs-event-stream: SseScheduler.schedule() needs ScheduleModule.forRoot() from @nestjs/schedule.',
    );
  });

  it('throws from SseScheduler.schedule() after init when ScheduleModule.forRoot() is not imported', async () => {
    const moduleRef = await Test.createTestingModule({ imports: [SseModule.forRoot()] }).compile();
    const app = await moduleRef.createNestApplication({ logger: false }).init();
    try {
      expect(() => app.get(SseScheduler).schedule('news', { every: 1000 }, () => 1, { channel: 'news' })).toThrow(
        'needs ScheduleModule.forRoot()',
      );
    } finally {
      await app.close();
    }
  });

  it('starts an app that schedules nothing without ScheduleModule', async () => {
    const close = await init({ imports: [SseModule.forRoot()] });
    await close();
  });

  it('rejects a bad channel name, and a second @Broadcast, when the class is defined', () => {
    expect(() => Broadcast('no spaces')).toThrow(SseChannelNameError);
    expect(() => {
      class Twice {
        @Broadcast('a')
        @Broadcast('b')
        run() {
          return 1;
        }
      }
      return Twice;
    }).toThrow('nestjs-event-stream: @Broadcast() is used twice on Twice.run.');
  });
});
