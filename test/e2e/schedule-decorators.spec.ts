import { Injectable, type ModuleMetadata } from '@nestjs/common';
import { Cron, Interval, ScheduleModule, SchedulerRegistry, Timeout } from '@nestjs/schedule';
import { Test } from '@nestjs/testing';
import { of } from 'rxjs';
import { Broadcast, SseModule, sseEvent } from '../../lib/index.js';
import { ChannelStreamController } from '../src/schedule/channel-stream.controller.js';
import { TestEventSource } from '../utils/event-source-client.js';
import { listen, type TestApp } from '../utils/test-app.js';

@Injectable()
class TickerJobs {
  aCalls = 0;
  bCalls = 0;

  @Interval('ticker-a', 20)
  @Broadcast('ticks-a')
  scheduleFirst() {
    return { n: ++this.aCalls };
  }

  @Broadcast('ticks-b')
  @Interval('ticker-b', 20)
  broadcastFirst() {
    return sseEvent({ event: 'tick', data: { n: ++this.bCalls } });
  }

  @Interval('ticker-promise', 20)
  @Broadcast('ticks-promise')
  async later() {
    await Promise.resolve();
    return 'from a promise';
  }

  @Interval('ticker-observable', 20)
  @Broadcast('ticks-observable')
  several() {
    return of('one', 'two', 'three');
  }

  @Interval('ticker-nothing', 20)
  @Broadcast('ticks-nothing')
  nothing() {
    return undefined;
  }

  @Cron('* * * * * *', { name: 'every-second' })
  @Broadcast('cron')
  cron() {
    return 'cron tick';
  }

  idleCalls = 0;

  @Interval('ticker-idle', 10)
  @Broadcast('ticks-idle', { skipWhenIdle: true })
  whenListened() {
    return ++this.idleCalls;
  }

  @Timeout('once', 10)
  @Broadcast('once')
  once() {
    return 'once';
  }
}

async function start(imports: ModuleMetadata['imports']): Promise<TestApp> {
  const moduleRef = await Test.createTestingModule({
    imports,
    controllers: [ChannelStreamController],
    providers: [TickerJobs],
  }).compile();
  return listen(moduleRef.createNestApplication({ logger: false }));
}

const orders: [string, () => ModuleMetadata['imports']][] = [
  ['SseModule imported before ScheduleModule', () => [SseModule.forRoot(), ScheduleModule.forRoot()]],
  ['ScheduleModule imported before SseModule', () => [ScheduleModule.forRoot(), SseModule.forRoot()]],
];

describe.each(orders)('@Broadcast with @nestjs/schedule (%s)', (_, imports) => {
  let server: TestApp;
  const clients: TestEventSource[] = [];
  const open = (channel: string, types: string[] = []) => {
    const client = new TestEventSource(`${server.url}/channels/${channel}`, { types });
    clients.push(client);
    return client;
  };

  beforeAll(async () => {
    server = await start(imports());
  });
  afterEach(() => clients.splice(0).forEach((client) => client.close()));
  afterAll(() => server.close());

  it('publishes what an @Interval method returns, whichever decorator is written first', async () => {
    const a = open('ticks-a');
    const b = open('ticks-b', ['tick']);
    const [eventsA, eventsB] = await Promise.all([a.waitForEvents(2), b.waitForEvents(2)]);
    expect(eventsA[0].type).toBe('message');
    expect(JSON.parse(eventsA[1].data).n).toBe(JSON.parse(eventsA[0].data).n + 1);
    expect(eventsB[0].type).toBe('tick');
    expect(JSON.parse(eventsB[1].data).n).toBe(JSON.parse(eventsB[0].data).n + 1);
    expect(eventsA[0].lastEventId).not.toBe('');
  });

  it("keeps @nestjs/schedule's own metadata and registers the jobs under their names", () => {
    expect(Reflect.getMetadata('SCHEDULER_NAME', TickerJobs.prototype.scheduleFirst)).toBe('ticker-a');
    expect(Reflect.getMetadata('SCHEDULER_NAME', TickerJobs.prototype.broadcastFirst)).toBe('ticker-b');
    expect(TickerJobs.prototype.scheduleFirst.name).toBe('scheduleFirst');
    const registry = server.app.get(SchedulerRegistry);
    expect(registry.getIntervals()).toEqual(
      expect.arrayContaining(['ticker-a', 'ticker-b', 'ticker-promise', 'ticker-observable']),
    );
    expect(registry.getCronJobs().has('every-second')).toBe(true);
  });

  it('publishes the value of a returned Promise', async () => {
    const [event] = await open('ticks-promise').waitForEvents(1);
    expect(event.data).toBe('from a promise');
  });

  it('publishes every value of a returned Observable, in order', async () => {
    const client = open('ticks-observable');
    await client.waitFor(
      (c) =>
        c.events
          .map((e) => e.data)
          .join(',')
          .includes('one,two,three'),
      'one full run',
    );
  });

  it('publishes nothing for undefined', async () => {
    const nothing = open('ticks-nothing');
    await open('ticks-a').waitForEvents(3);
    expect(nothing.events).toEqual([]);
  });

  it('with skipWhenIdle, does not call the method while no stream has joined the channel', async () => {
    const jobs = server.app.get(TickerJobs);
    const from = jobs.aCalls;
    await open('ticks-a').waitFor(() => jobs.aCalls >= from + 3, 'three ticks of another job');
    expect(jobs.idleCalls).toBe(0);
    await open('ticks-idle').waitForEvents(1);
    expect(jobs.idleCalls).toBeGreaterThan(0);
  });

  it('fires on a cron expression', async () => {
    const [event] = await open('cron').waitForEvents(1);
    expect(event.data).toBe('cron tick');
  });
});

describe('@Broadcast in two apps of one process', () => {
  it('publishes each instance to its own app, and closing one leaves the other running', async () => {
    const [first, second] = await Promise.all([
      start([SseModule.forRoot(), ScheduleModule.forRoot()]),
      start([SseModule.forRoot(), ScheduleModule.forRoot()]),
    ]);
    const one = new TestEventSource(`${first.url}/channels/ticks-a`);
    const two = new TestEventSource(`${second.url}/channels/ticks-a`);
    try {
      const [a, b] = await Promise.all([one.waitForEvents(1), two.waitForEvents(1)]);
      expect(JSON.parse(a[0].data).n).toBeLessThanOrEqual(first.app.get(TickerJobs).aCalls);
      expect(JSON.parse(b[0].data).n).toBeLessThanOrEqual(second.app.get(TickerJobs).aCalls);
      one.close();
      await first.close();
      const seen = two.events.length;
      await two.waitForEvents(seen + 2);
    } finally {
      one.close();
      two.close();
      await second.close();
    }
  });
});

describe('@Broadcast on a method the app did not create', () => {
  it('just returns what the method returns', () => {
    const jobs = new TickerJobs();
    expect(jobs.scheduleFirst()).toEqual({ n: 1 });
    expect(jobs.once()).toBe('once');
  });
});
