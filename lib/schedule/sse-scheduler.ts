import {
  Inject,
  Injectable,
  Logger,
  type OnApplicationBootstrap,
  type OnModuleDestroy,
  type OnModuleInit,
} from '@nestjs/common';
import { ModuleRef } from '@nestjs/core';
import type { SchedulerRegistry } from '@nestjs/schedule';
import type { CronJob } from 'cron';
import { SseHub } from '../hub/sse-hub.js';
import { assertChannelName } from '../hub/sse-channel-name.error.js';
import type { SseScheduleLock } from './sse-schedule-lock.interface.js';
import type { SseBroadcastProducer, SseScheduleOptions, SseScheduleTrigger } from './sse-schedule.interface.js';
import { MAX_TIMER_DELAY_MS, SSE_SCHEDULE_LOCK } from '../sse.constants.js';
import { SSE_MESSAGES } from '../sse.messages.js';
import { AlignedInterval } from './aligned-interval.js';
import { findSchedulerRegistry, loadNestSchedule, type NestScheduleApi } from './load-nest-schedule.js';
import { ScheduledBroadcast } from './scheduled-broadcast.js';
import { alignedTiming, cronTiming, type TickTiming } from './tick-timing.js';

const FEATURE = 'SseScheduler.schedule()';

interface Job {
  name: string;
  trigger: SseScheduleTrigger;
  producer: SseBroadcastProducer;
  options: Required<SseScheduleOptions>;
  /** Set once the job is in the `SchedulerRegistry` and running. */
  mounted?: { broadcast: ScheduledBroadcast } & (
    { type: 'interval'; ref: ReturnType<typeof setInterval>; timer: AlignedInterval } | { type: 'cron'; ref: CronJob }
  );
}

type Scheduling = NestScheduleApi & { registry: SchedulerRegistry };

/**
 * Scheduled broadcasts, programmatically: publishes what a producer returns
 * to a channel every `every` ms or on a cron expression. Inject it where the
 * jobs are known at run time (`@Broadcast()` covers methods known at build
 * time). Needs `@nestjs/schedule` (with `ScheduleModule.forRoot()`).
 *
 * @example
 * constructor(private readonly scheduler: SseScheduler) {}
 * onModuleInit() {
 *   this.scheduler.schedule('clock', { every: 1000 }, () => ({ now: new Date() }), { channel: 'clock' });
 * }
 *
 * Each job is registered in `@nestjs/schedule`'s
 * `SchedulerRegistry` under its name (`addInterval()` / `addCronJob()`), so
 * the registry lists, stops and deletes it like any other job.
 *
 * Lifecycle, as `@nestjs/schedule` does for its own jobs: a job added before
 * the app has bootstrapped is registered and started at bootstrap, one added
 * later at once; when shutdown begins (`onModuleDestroy`, the first hook of
 * `app.close()`) every job stops and a run in progress publishes nothing more.
 *
 * `@nestjs/schedule` is loaded when the module starts, only if it is
 * installed; scheduling without it fails with what to install.
 */
@Injectable()
export class SseScheduler implements OnModuleInit, OnApplicationBootstrap, OnModuleDestroy {
  private readonly logger = new Logger('SseScheduler');
  private readonly jobs = new Map<string, Job>();
  private scheduling?: Scheduling;
  private unavailable?: unknown;
  private state: 'created' | 'initialized' | 'running' | 'closed' = 'created';

  constructor(
    private readonly hub: SseHub,
    @Inject(SSE_SCHEDULE_LOCK) private readonly lock: SseScheduleLock,
    private readonly moduleRef: ModuleRef,
  ) {}

  async onModuleInit(): Promise<void> {
    try {
      const api = await loadNestSchedule(FEATURE);
      this.scheduling = { ...api, registry: findSchedulerRegistry(this.moduleRef, api, FEATURE) };
    } catch (error) {
      this.unavailable = error;
    }
    this.state = 'initialized';
    if (this.jobs.size === 0) return;
    const scheduling = this.requireScheduling();
    for (const job of this.jobs.values()) this.validateCron(job, scheduling);
  }

  onApplicationBootstrap(): void {
    this.state = 'running';
    for (const job of this.jobs.values()) if (!job.mounted) this.mount(job);
  }

  onModuleDestroy(): void {
    this.state = 'closed';
    for (const job of this.jobs.values()) this.stop(job);
    this.jobs.clear();
  }

  /**
   * Publishes what `producer` returns to `options.channel` on a schedule:
   * every `every` ms or on a `cron` expression. `every` ticks fall just
   * after the multiples of `every` of the wall clock (the first after the
   * next one, so within about `every` ms), the same moments on every
   * instance, so that with a shared `scheduleLock` each tick runs once in the
   * cluster from the first one on. The job is registered in
   * `@nestjs/schedule`'s `SchedulerRegistry` under `name`, where it can be
   * listed, stopped and deleted. It starts when the app has bootstrapped (at
   * once if it already has) and stops when the app begins to shut down.
   * `producer` returns a value, an `sseEvent(...)`, a Promise or an
   * Observable of them; `undefined` publishes nothing. By default
   * (`skipWhenIdle`) it is not called while no stream of this instance has
   * joined the channel; a run still in progress makes the next tick skip; a
   * failure is logged with the job's name and the job keeps running.
   */
  schedule(
    name: string,
    trigger: SseScheduleTrigger,
    producer: SseBroadcastProducer,
    options: SseScheduleOptions,
  ): void {
    if (typeof name !== 'string' || name.length === 0) {
      throw new TypeError(SSE_MESSAGES.invalidSchedule(String(name), 'name', name, 'a non-empty string'));
    }
    if (this.state === 'closed') throw new Error(SSE_MESSAGES.scheduleAfterShutdown(name));
    validateTrigger(name, trigger);
    if (typeof producer !== 'function') {
      throw new TypeError(SSE_MESSAGES.invalidSchedule(name, 'the producer', producer, 'a function'));
    }
    if (typeof options !== 'object' || options === null) {
      throw new TypeError(SSE_MESSAGES.invalidSchedule(name, 'options', options, 'an object with a channel'));
    }
    assertChannelName(options.channel);
    if (options.skipWhenIdle !== undefined && typeof options.skipWhenIdle !== 'boolean') {
      throw new TypeError(
        SSE_MESSAGES.invalidSchedule(name, 'options.skipWhenIdle', options.skipWhenIdle, 'a boolean'),
      );
    }
    const existing = this.jobs.get(name);
    if (existing && this.isScheduled(existing)) throw new Error(SSE_MESSAGES.duplicateSchedule(name));
    const job: Job = {
      name,
      // The same precedence as validateTrigger(): `every` wins, so what was validated is what runs.
      trigger: 'every' in trigger ? { every: trigger.every } : { cron: trigger.cron, timeZone: trigger.timeZone },
      producer,
      options: { channel: options.channel, skipWhenIdle: options.skipWhenIdle ?? true },
    };
    if (this.state !== 'created') this.validateCron(job, this.requireScheduling());
    if (this.state === 'running') this.mount(job);
    if (existing) this.stop(existing);
    this.jobs.set(name, job);
  }

  /** Stops and removes a job; returns whether it was still scheduled (not already deleted through `SchedulerRegistry`). */
  unschedule(name: string): boolean {
    const job = this.jobs.get(name);
    if (!job) return false;
    const scheduled = this.isScheduled(job);
    this.stop(job);
    this.jobs.delete(name);
    return scheduled;
  }

  private requireScheduling(): Scheduling {
    if (!this.scheduling) throw this.unavailable;
    return this.scheduling;
  }

  /** Whether the job is waiting for bootstrap, or still in the registry (it may have been deleted there). */
  private isScheduled(job: Job): boolean {
    const mounted = job.mounted;
    if (!mounted) return true;
    const registry = this.scheduling!.registry;
    if (!registry.doesExist(mounted.type, job.name)) return false;
    const current: unknown = mounted.type === 'cron' ? registry.getCronJob(job.name) : registry.getInterval(job.name);
    return current === mounted.ref;
  }

  private validateCron(job: Job, { CronTime }: Scheduling): void {
    if (!('cron' in job.trigger)) return;
    try {
      new CronTime(job.trigger.cron, job.trigger.timeZone);
    } catch (error) {
      throw new Error(SSE_MESSAGES.invalidCron(job.name, job.trigger.cron, error));
    }
  }

  private mount(job: Job): void {
    const { registry, CronJob } = this.requireScheduling();
    const { name, trigger, producer } = job;
    const broadcast = (timing: TickTiming) =>
      new ScheduledBroadcast({ name, ...job.options, timing }, this.hub, this.lock, this.logger);
    if ('every' in trigger) {
      if (registry.doesExist('interval', name)) throw new Error(SSE_MESSAGES.duplicateSchedule(name));
      const run = broadcast(alignedTiming(trigger.every));
      const timer = new AlignedInterval(
        trigger.every,
        () => void run.tick(producer),
        () => this.isScheduled(job),
      );
      registry.addInterval(name, timer.ref);
      job.mounted = { type: 'interval', ref: timer.ref, timer, broadcast: run };
      return;
    }
    if (registry.doesExist('cron', name)) throw new Error(SSE_MESSAGES.duplicateSchedule(name));
    const cronJob = CronJob.from({
      cronTime: trigger.cron,
      timeZone: trigger.timeZone,
      onTick: () => run.tick(producer),
      start: false,
      name,
    });
    const run = broadcast(cronTiming(() => cronJob.nextDate().toMillis() - Date.now()));
    registry.addCronJob(name, cronJob);
    cronJob.start();
    job.mounted = { type: 'cron', ref: cronJob, broadcast: run };
  }

  /** Ends the job's runs and takes it out of the registry if it is still there as ours. */
  private stop(job: Job): void {
    const mounted = job.mounted;
    if (!mounted) return;
    mounted.broadcast.close();
    const scheduled = this.isScheduled(job);
    if (mounted.type === 'interval') mounted.timer.stop();
    if (!scheduled) return;
    const registry = this.scheduling!.registry;
    if (mounted.type === 'cron') registry.deleteCronJob(job.name);
    else registry.deleteInterval(job.name);
  }
}

function validateTrigger(name: string, trigger: SseScheduleTrigger): void {
  const expected = "{ every: milliseconds } or { cron: 'expression', timeZone? }";
  if (typeof trigger !== 'object' || trigger === null) {
    throw new TypeError(SSE_MESSAGES.invalidSchedule(name, 'the trigger', trigger, expected));
  }
  if ('every' in trigger) {
    const every = trigger.every;
    if (!Number.isSafeInteger(every) || every < 1 || every > MAX_TIMER_DELAY_MS) {
      throw new TypeError(
        SSE_MESSAGES.invalidSchedule(
          name,
          'every',
          every,
          `an integer of milliseconds from 1 to ${MAX_TIMER_DELAY_MS}`,
        ),
      );
    }
    return;
  }
  if ('cron' in trigger) {
    if (typeof trigger.cron !== 'string' || trigger.cron.trim() === '') {
      throw new TypeError(SSE_MESSAGES.invalidSchedule(name, 'cron', trigger.cron, 'a cron expression'));
    }
    if (trigger.timeZone !== undefined && typeof trigger.timeZone !== 'string') {
      throw new TypeError(SSE_MESSAGES.invalidSchedule(name, 'timeZone', trigger.timeZone, 'an IANA time zone name'));
    }
    return;
  }
  throw new TypeError(SSE_MESSAGES.invalidSchedule(name, 'the trigger', trigger, expected));
}
