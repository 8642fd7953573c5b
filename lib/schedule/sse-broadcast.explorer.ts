import { Inject, Injectable, Logger, type OnModuleDestroy, type OnModuleInit } from '@nestjs/common';
import { DiscoveryService, MetadataScanner, ModuleRef, Reflector } from '@nestjs/core';
import { SseHub } from '../hub/sse-hub.js';
import type { SseScheduleLock } from './sse-schedule-lock.interface.js';
import { SSE_BROADCAST_METADATA, SSE_SCHEDULE_LOCK } from '../sse.constants.js';
import { SSE_MESSAGES } from '../sse.messages.js';
import type { BroadcastMetadata } from './broadcast.decorator.js';
import { bindBroadcast } from './broadcast-bindings.js';
import { findSchedulerRegistry, loadNestSchedule, type NestScheduleApi } from './load-nest-schedule.js';
import {
  NEST_SCHEDULE_CRON_OPTIONS,
  NEST_SCHEDULE_INTERVAL_OPTIONS,
  NEST_SCHEDULE_TIMEOUT_OPTIONS,
  NEST_SCHEDULER_NAME,
  NEST_SCHEDULER_TYPE,
  NestSchedulerType,
  type NestCronMetadata,
} from './nest-schedule-metadata.js';
import { ScheduledBroadcast } from './scheduled-broadcast.js';
import { cronTiming, periodTiming, type TickTiming } from './tick-timing.js';

const FEATURE = '@Broadcast()';

interface BroadcastMethod {
  instance: object;
  key: string;
  method: (...args: unknown[]) => unknown;
  /** `Class.method`, for messages. */
  where: string;
  metadata: BroadcastMetadata;
}

/**
 * Finds the `@Broadcast()` methods of the app's providers and controllers
 * when the module starts, checks that each has a schedule, and binds each
 * instance's method to a `ScheduledBroadcast` of this app's hub.
 *
 * It does not register anything with `@nestjs/schedule`: its own explorer
 * schedules the method as usual. The method was already wrapped when its class
 * was defined, so whichever of the two explorers runs first (their modules'
 * `onModuleInit` order depends on the order of imports), `@nestjs/schedule`
 * calls the wrapper, and the binding exists before its timers start (at
 * bootstrap). Shutdown closes the jobs first thing (`onModuleDestroy`), so a
 * tick that fires before `@nestjs/schedule` clears its timers runs nothing.
 */
@Injectable()
export class SseBroadcastExplorer implements OnModuleInit, OnModuleDestroy {
  private readonly logger = new Logger('SseScheduler');
  private readonly jobs: ScheduledBroadcast[] = [];

  constructor(
    private readonly discovery: DiscoveryService,
    private readonly scanner: MetadataScanner,
    private readonly reflector: Reflector,
    private readonly moduleRef: ModuleRef,
    private readonly hub: SseHub,
    @Inject(SSE_SCHEDULE_LOCK) private readonly lock: SseScheduleLock,
  ) {}

  async onModuleInit(): Promise<void> {
    const methods = this.discover();
    if (methods.length === 0) return;
    for (const { method, where } of methods) {
      if (this.reflector.get(NEST_SCHEDULER_TYPE, method) === undefined) {
        throw new Error(SSE_MESSAGES.broadcastWithoutTrigger(where));
      }
    }
    const api = await loadNestSchedule(FEATURE);
    findSchedulerRegistry(this.moduleRef, api, FEATURE);
    for (const found of methods) {
      const job = new ScheduledBroadcast(
        {
          name: this.reflector.get<string | undefined>(NEST_SCHEDULER_NAME, found.method) ?? found.where,
          channel: found.metadata.channel,
          skipWhenIdle: found.metadata.skipWhenIdle,
          timing: this.timingOf(found.method, api),
        },
        this.hub,
        this.lock,
        this.logger,
      );
      this.jobs.push(job);
      bindBroadcast(found.instance, found.key, job);
    }
  }

  onModuleDestroy(): void {
    for (const job of this.jobs) job.close();
  }

  private discover(): BroadcastMethod[] {
    const wrappers = [...this.discovery.getProviders(), ...this.discovery.getControllers()];
    const found: BroadcastMethod[] = [];
    const seen = new Set<object>();
    for (const wrapper of wrappers) {
      const instance: unknown = wrapper.instance;
      if (typeof instance !== 'object' || instance === null || seen.has(instance)) continue;
      const prototype = Object.getPrototypeOf(instance) as object | null;
      if (!prototype || !wrapper.isDependencyTreeStatic()) continue;
      seen.add(instance);
      for (const key of this.scanner.getAllMethodNames(prototype)) {
        const method = (instance as Record<string, unknown>)[key];
        if (typeof method !== 'function') continue;
        const metadata = this.reflector.get<BroadcastMetadata | undefined>(SSE_BROADCAST_METADATA, method);
        if (!metadata) continue;
        const where = `${(instance as object).constructor.name}.${key}`;
        found.push({ instance, key, method: method as BroadcastMethod['method'], where, metadata });
      }
    }
    return found;
  }

  /** How the method's ticks are keyed for the lock, from its `@nestjs/schedule` metadata. */
  private timingOf(method: BroadcastMethod['method'], { CronTime }: NestScheduleApi): TickTiming {
    switch (this.reflector.get<number>(NEST_SCHEDULER_TYPE, method)) {
      case NestSchedulerType.CRON: {
        const { cronTime, timeZone, utcOffset } = this.reflector.get<NestCronMetadata>(
          NEST_SCHEDULE_CRON_OPTIONS,
          method,
        );
        const time =
          utcOffset !== undefined
            ? new CronTime(cronTime as string, null, utcOffset)
            : new CronTime(cronTime as string, timeZone ?? null);
        return cronTiming(() => time.getTimeout());
      }
      case NestSchedulerType.TIMEOUT:
        return periodTiming(this.delayOf(NEST_SCHEDULE_TIMEOUT_OPTIONS, method));
      default:
        return periodTiming(this.delayOf(NEST_SCHEDULE_INTERVAL_OPTIONS, method));
    }
  }

  private delayOf(key: string, method: BroadcastMethod['method']): number {
    const timeout = this.reflector.get<{ timeout?: number } | undefined>(key, method)?.timeout;
    return typeof timeout === 'number' && timeout >= 1 ? timeout : 1;
  }
}
