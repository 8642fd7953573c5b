import type { Provider } from '@nestjs/common';
import type { SseHubAdapter } from '../brokers/sse-broker.interface.js';
import { SSE_HUB_ADAPTER, SSE_SCHEDULE_LOCK } from '../sse.constants.js';
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
    useFactory: (adapter: SseHubAdapter) => adapter.lock ?? new InMemorySseScheduleLock(),
    inject: [SSE_HUB_ADAPTER],
  },
  SseScheduler,
  SseBroadcastExplorer,
];

/** The schedule providers SseModule exports. */
export const SSE_SCHEDULE_EXPORTS = [SSE_SCHEDULE_LOCK];
