import type { Type } from '@nestjs/common';
import type { ModuleRef } from '@nestjs/core';
import { createRequire } from 'node:module';
import type { SchedulerRegistry } from '@nestjs/schedule';
import type { CronJob, CronTime } from 'cron';
import { SSE_MESSAGES } from '../sse.messages.js';
import { isModuleNotFound } from '../utils/load-optional-package.js';

/**
 * What scheduling uses of `@nestjs/schedule` and of the `cron` package it
 * depends on. Both are loaded on demand, never by a static import: an app that
 * schedules nothing does not need them installed.
 */
export interface NestScheduleApi {
  SchedulerRegistry: Type<SchedulerRegistry>;
  CronJob: typeof CronJob;
  CronTime: typeof CronTime;
}

let loading: Promise<NestScheduleApi> | undefined;

/** Loads `@nestjs/schedule` and `cron` once per process; rejects with what to install when they are missing. */
export function loadNestSchedule(feature: string): Promise<NestScheduleApi> {
  loading ??= load();
  return loading.catch((error: unknown) => {
    throw isModuleNotFound(error) ? new Error(SSE_MESSAGES.scheduleNotInstalled(feature)) : error;
  });
}

/**
 * The app's `SchedulerRegistry` (the one `ScheduleModule.forRoot()` provides,
 * which the user injects too); throws what to import when there is none.
 */
export function findSchedulerRegistry(moduleRef: ModuleRef, api: NestScheduleApi, feature: string): SchedulerRegistry {
  try {
    return moduleRef.get(api.SchedulerRegistry, { strict: false });
  } catch {
    throw new Error(SSE_MESSAGES.scheduleModuleNotImported(feature));
  }
}

async function load(): Promise<NestScheduleApi> {
  const { SchedulerRegistry } = await import('@nestjs/schedule');
  const { CronJob, CronTime } = requireCron();
  return { SchedulerRegistry, CronJob, CronTime };
}

/** The `cron` that `@nestjs/schedule` itself uses (it is its dependency, not ours), else any `cron` in reach. */
function requireCron(): typeof import('cron') {
  const require = createRequire(import.meta.url);
  try {
    return createRequire(require.resolve('@nestjs/schedule'))('cron') as typeof import('cron');
  } catch {
    return require('cron') as typeof import('cron');
  }
}
