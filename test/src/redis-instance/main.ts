/**
 * One instance of an app scaled out with Redis, run as its own process by
 * test/e2e/redis-instances.spec.ts (compiled with tsc first: see tsconfig.json
 * beside it). Configured by the environment:
 * SSE_REDIS_URL, SSE_KEY_PREFIX, INSTANCE (a name), SSE_REDIS_RETRY_MS.
 * Prints `{"port":N}` on a line of its own once it listens.
 */
import 'reflect-metadata';
import { Body, Controller, Delete, Module, Param, Post } from '@nestjs/common';
import { NestFactory } from '@nestjs/core';
import { ScheduleModule } from '@nestjs/schedule';
import type { AddressInfo } from 'node:net';
import { EventStream, SseClient, SseHub, SseModule, SseScheduler, sseEvent } from '../../../lib/index.js';
import { RedisSseBroker, RedisSseScheduleLock } from '../../../lib/brokers/redis/index.js';

const instance = process.env.INSTANCE ?? 'instance';
const retryMs = Number(process.env.SSE_REDIS_RETRY_MS ?? 100);

@Controller()
class InstanceController {
  constructor(
    private readonly hub: SseHub,
    private readonly scheduler: SseScheduler,
  ) {}

  @EventStream('events/:channel')
  events(@Param('channel') channel: string, @SseClient() client: SseClient) {
    return this.hub.join(client, channel);
  }

  @Post('publish/:channel')
  async publish(@Param('channel') channel: string, @Body() body: { text: string }) {
    return {
      id: await this.hub.publish(channel, sseEvent({ event: 'message', data: { text: body.text, from: instance } })),
    };
  }

  /**
   * Schedules `tick:<channel>` every `every` ms, at once or, with `at` (ms since the epoch), at that
   * moment of this process's clock: a test places each instance's start at a chosen phase of the period.
   * Answers once the job is scheduled, with when that was.
   */
  @Post('schedule/:channel')
  async schedule(@Param('channel') channel: string, @Body() body: { every: number; at?: number }) {
    if (body.at !== undefined) await new Promise((resolve) => setTimeout(resolve, Math.max(0, body.at! - Date.now())));
    this.scheduler.schedule(`tick:${channel}`, { every: body.every }, () => ({ from: instance, at: Date.now() }), {
      channel,
      skipWhenIdle: false,
    });
    return { scheduled: Date.now() };
  }

  @Delete('schedule/:channel')
  unschedule(@Param('channel') channel: string) {
    return { unscheduled: this.scheduler.unschedule(`tick:${channel}`) };
  }
}

const broker = new RedisSseBroker({
  url: process.env.SSE_REDIS_URL,
  keyPrefix: process.env.SSE_KEY_PREFIX,
  redisOptions: { retryStrategy: () => retryMs },
  statsIntervalMs: 0,
});

@Module({
  imports: [
    ScheduleModule.forRoot(),
    SseModule.forRoot({ heartbeatMs: 60_000, broker, scheduleLock: new RedisSseScheduleLock(broker) }),
  ],
  controllers: [InstanceController],
})
class InstanceModule {}

async function main(): Promise<void> {
  const app = await NestFactory.create(InstanceModule, { logger: ['log', 'warn', 'error'] });
  app.enableShutdownHooks();
  await app.listen(0, '127.0.0.1');
  const { port } = app.getHttpServer().address() as AddressInfo;
  process.stdout.write(`${JSON.stringify({ port })}\n`);
}

void main();
