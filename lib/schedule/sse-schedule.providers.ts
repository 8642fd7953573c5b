import type { Provider } from '@nestjs/common';
import type { ResolvedSseModuleOptions } from '../options/resolve-module-options.js';
import { SSE_RESOLVED_OPTIONS, SSE_SCHEDULE_LOCK } from '../sse.constants.js';
import { InMemorySseScheduleLock } from './in-memory-sse-schedule.lock.js';
import { SseBroadcastExplorer } from './sse-broadcast.explorer.js';
import { SseScheduler } from './sse-scheduler.js';

/**
 * What `SseModule` provides for scheduled broadcasts. None of it loads
 * `@nestjs/schedule`: `SseScheduler` and `SseBroadcastExplorer` import it
 * when the app starts, and only need it when something is scheduled.
 */
export const SSE_SCHEDULE_PROVIDERS: Provider[] = [
  {
    provide: SSE_SCHEDULE_LOCK,
    useFactory: (options: ResolvedSseModuleOptions) => options.scheduleLock ?? new InMemorySseScheduleLock(),
    inject: [SSE_RESOLVED_OPTIONS],
  },
  SseScheduler,
  SseBroadcastExplorer,
];

/** The schedule providers SseModule exports. */
export const SSE_SCHEDULE_EXPORTS = [SSE_SCHEDULE_LOCK, SseScheduler];
