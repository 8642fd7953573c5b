import { jest } from '@jest/globals';

// As if @nestjs/schedule were not installed: importing it fails the way Node fails.
jest.unstable_mockModule('@nestjs/schedule', () => {
  throw Object.assign(new Error("Cannot find package '@nestjs/schedule'"), { code: 'ERR_MODULE_NOT_FOUND' });
});

const { Inject, Injectable } = await import('@nestjs/common');
const { Test } = await import('@nestjs/testing');
const { SseModule, SseScheduler } = await import('../../lib/index.js');

describe('scheduled broadcasts without @nestjs/schedule installed', () => {
  it('starts an app that schedules nothing', async () => {
    const moduleRef = await Test.createTestingModule({ imports: [SseModule.forRoot()] }).compile();
    const app = await moduleRef.createNestApplication({ logger: false }).init();
    try {
      expect(() => app.get(SseScheduler).schedule('news', { every: 1000 }, () => 1, { channel: 'news' })).toThrow(
        'nestjs-event-stream: SseScheduler.schedule() needs @nestjs/schedule, which is not installed. Run `npm install @nestjs/schedule` and add ScheduleModule.forRoot() to the imports of your root module.',
      );
    } finally {
      await app.close();
    }
  });

  it('fails startup when a job was scheduled, saying what to install', async () => {
    @Injectable()
    class SchedulesAtInit {
      constructor(@Inject(SseScheduler) scheduler: InstanceType<typeof SseScheduler>) {
        scheduler.schedule('news', { every: 1000 }, () => 'news', { channel: 'news' });
      }
    }
    const moduleRef = await Test.createTestingModule({
      imports: [SseModule.forRoot()],
      providers: [SchedulesAtInit],
    }).compile();
    const app = moduleRef.createNestApplication({ logger: false });
    await expect(app.init()).rejects.toThrow('SseScheduler.schedule() needs @nestjs/schedule, which is not installed');
    await app.close();
  });
});
