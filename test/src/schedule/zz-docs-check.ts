import { Broadcast, sseEvent } from 'nestjs-sse';
import { Controller } from '@nestjs/common';
import { Cron, CronExpression, Interval } from '@nestjs/schedule';
import { EventSource } from 'eventsource';
import { EventStream, SseClient, SseHub } from 'nestjs-sse';
import { InMemorySseAdapter, type SseScheduleLock } from 'nestjs-sse';
import { Injectable } from '@nestjs/common';
import { Injectable, type OnModuleInit } from '@nestjs/common';
import { Module } from '@nestjs/common';
import { ScheduleModule } from '@nestjs/schedule';
import { SseHub, sseEvent } from 'nestjs-sse';
import { SseModule } from 'nestjs-sse';
import { from } from 'rxjs';
import { Test } from '@nestjs/testing';
import { SseModule as _S } from 'nestjs-sse';

// stubs
export class MarketService { async latestQuotes() { return [{ s: 'A', p: 1 }]; } headlines(): string[] { return []; } }
export class LeaseService { async tryTake(key: string, ttl: number) { return key.length > 0 && ttl > 0; } }
const leases = new LeaseService();
const fakeMarket = new MarketService();

@Module({
  imports: [SseModule.forRoot(), ScheduleModule.forRoot()],
})
export class AppModule {}


@Controller('prices')
export class PricesController {
  constructor(private readonly hub: SseHub) {}

  /** GET /prices: the `prices` channel. */
  @EventStream()
  stream(@SseClient() client: SseClient) {
    return this.hub.join(client, 'prices');
  }
}


@Injectable()
export class MarketJobs {
  constructor(private readonly market: MarketService) {}

  /** Every 5 s, one `message` event whose data is the quotes (JSON). */
  @Interval('prices', 5000)
  @Broadcast('prices')
  async prices() {
    return this.market.latestQuotes(); // a Promise: its value is published
  }

  /** Every weekday at 9:00, one named event. */
  @Cron(CronExpression.MONDAY_TO_FRIDAY_AT_9AM, { name: 'opening-bell', timeZone: 'America/New_York' })
  @Broadcast('announcements')
  openingBell() {
    return sseEvent({ event: 'market-open', data: { at: new Date().toISOString() } });
  }

  /** Every minute, one event per headline, in order. */
  @Broadcast('news', { skipWhenIdle: true })
  @Interval(60_000)
  headlines() {
    return from(this.market.headlines()); // an Observable: each value is published
  }
}


@Injectable()
export class ClockService implements OnModuleInit {
  constructor(private readonly hub: SseHub) {}

  onModuleInit() {
    // Every second, to the `clock` channel, while someone listens.
    this.hub.schedule('clock', { every: 1000 }, () => sseEvent({ event: 'tick', data: Date.now() }), {
      channel: 'clock',
    });

    // On a cron expression (six fields: seconds first), in a time zone.
    this.hub.schedule(
      'daily-digest',
      { cron: '0 0 8 * * *', timeZone: 'Europe/Paris' },
      () => this.buildDigest(), // may return a Promise or an Observable
      { channel: 'digest', skipWhenIdle: false },
    );
  }

  /** One job per room, added and removed at run time. */
  watchRoom(room: string) {
    this.hub.schedule(`room-stats:${room}`, { every: 10_000 }, () => this.stats(room), { channel: `room:${room}` });
  }

  unwatchRoom(room: string) {
    this.hub.unschedule(`room-stats:${room}`);
  }

  private async buildDigest() {
    return { headlines: [] as string[] };
  }

  private stats(room: string) {
    return { room, at: Date.now() };
  }
}


class LeaseLock implements SseScheduleLock {
  constructor(private readonly leases: LeaseService) {}

  acquire(jobName: string, tickKey: string, ttlMs: number) {
    return this.leases.tryTake(`sse:${jobName}:${tickKey}`, ttlMs); // Promise<boolean>
  }
}

class LockingAdapter extends InMemorySseAdapter {
  readonly lock = new LeaseLock(leases);
}

SseModule.forRoot({ adapter: new LockingAdapter() });


const moduleRef = await Test.createTestingModule({
  imports: [SseModule.forRoot(), ScheduleModule.forRoot()],
  controllers: [PricesController],
  providers: [MarketJobs, { provide: MarketService, useValue: fakeMarket }],
}).compile();
const app = moduleRef.createNestApplication();
await app.listen(0, '127.0.0.1');

const source = new EventSource(`${await app.getUrl()}/prices`);
const first = await new Promise<MessageEvent>((resolve) => source.addEventListener('message', resolve, { once: true }));
source.close();
await app.close(); // no job runs after this
