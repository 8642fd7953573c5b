/**
 * The metadata keys and values `@Interval()`, `@Cron()` and `@Timeout()` of
 * `@nestjs/schedule` set on a method (its `schedule.constants.ts` and
 * `SchedulerType`, which the package does not export). Read as plain strings
 * so that reading them never loads `@nestjs/schedule`.
 */
export const NEST_SCHEDULER_NAME = 'SCHEDULER_NAME';
export const NEST_SCHEDULER_TYPE = 'SCHEDULER_TYPE';
export const NEST_SCHEDULE_CRON_OPTIONS = 'SCHEDULE_CRON_OPTIONS';
export const NEST_SCHEDULE_INTERVAL_OPTIONS = 'SCHEDULE_INTERVAL_OPTIONS';
export const NEST_SCHEDULE_TIMEOUT_OPTIONS = 'SCHEDULE_TIMEOUT_OPTIONS';

/** `SchedulerType` of `@nestjs/schedule`: the value stored under `SCHEDULER_TYPE`. */
export const NestSchedulerType = { CRON: 1, TIMEOUT: 2, INTERVAL: 3 } as const;

/** What `@Cron(cronTime, options)` stores. */
export interface NestCronMetadata {
  cronTime: string | Date | object;
  timeZone?: string;
  utcOffset?: number;
  name?: string;
}
