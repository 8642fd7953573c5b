/**
 * One instance of an app scaled out on a broker, run as its own process by
 * the two-instance suites (test/utils/two-instances.ts; transpiled first by
 * buildNodeApp). Configured by the environment: SSE_BROKER_URL, SSE_NAMESPACE
 * and SSE_BROKER_RETRY_MS (see scale-out.ts), INSTANCE (a name).
 * Prints `{"port":N}` on a line of its own once it listens.
 */
import 'reflect-metadata';
import { Body, Controller, Delete, Module, Param, Post, type DynamicModule } from '@nestjs/common';
import { NestFactory } from '@nestjs/core';
import { ScheduleModule } from '@nestjs/schedule';
import type { AddressInfo } from 'node:net';
import { EventStream, SseClient, SseHub, SseModule, SseScheduler, sseEvent } from '../../../lib/index.js';
import { scaleOutFrom } from './scale-out.js';

const instance = process.env.INSTANCE ?? 'instance';

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

@Module({})
class InstanceModule {
  static async create(): Promise<DynamicModule> {
    const { broker, scheduleLock } = await scaleOutFrom(process.env);
    return {
      module: InstanceModule,
      imports: [ScheduleModule.forRoot(), SseModule.forRoot({ heartbeatMs: 60_000, broker, scheduleLock })],
      controllers: [InstanceController],
    };
  }
}

async function main(): Promise<void> {
  const app = await NestFactory.create(await InstanceModule.create(), { logger: ['log', 'warn', 'error'] });
  app.enableShutdownHooks();
  await app.listen(0, '127.0.0.1');
  const { port } = app.getHttpServer().address() as AddressInfo;
  process.stdout.write(`${JSON.stringify({ port })}\n`);
}

void main();
