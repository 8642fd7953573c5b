import { Module, type DynamicModule } from '@nestjs/common';
import { ScheduleModule } from '@nestjs/schedule';
import { SseModule, SseRunsModule, type SseModuleOptions, type SseTicketStore } from 'nestjs-event-stream';
import { AssistantModule } from './assistant/assistant.module.js';
import { SampleTokenVerifier } from './auth/sample-token.verifier.js';
import { ClockModule } from './clock/clock.module.js';
import { SampleConfigModule } from './config/sample-config.module.js';
import type { SampleConfig } from './config/sample-config.js';
import { HealthModule } from './health/health.module.js';
import { JobsModule } from './jobs/jobs.module.js';
import { MetricsModule } from './metrics/metrics.module.js';
import { PageModule } from './page/page.module.js';
import { RateLimitModule } from './rate-limit/rate-limit.module.js';
import { RoomsModule } from './rooms/rooms.module.js';
import { SessionsModule } from './sessions/sessions.module.js';
import type { SignedOutUsers } from './sessions/signed-out-users.interface.js';
import { StatsModule } from './stats/stats.module.js';
import { TickerModule } from './ticker/ticker.module.js';
import { TicketsModule } from './tickets/tickets.module.js';

/**
 * What runs on the broker of `SSE_BROKER_URL` when it is set: the hub's
 * broker, its schedule lock and, on Redis, the stream tickets and the users
 * who signed out everywhere (see `scale-out/scale-out.ts`).
 */
export interface SampleScaleOut extends Pick<SseModuleOptions, 'broker' | 'scheduleLock'> {
  ticketStore?: SseTicketStore;
  signedOutUsers?: SignedOutUsers;
}

/** The sample app: one module per feature, the SSE hub and its auth configured once here. */
@Module({})
export class AppModule {
  /**
   * `scaleOut`: the hub's broker, schedule lock, ticket store and signed-out
   * users (the broker of `SSE_BROKER_URL` when it is set); the in-memory defaults otherwise.
   */
  static forRoot(
    config: SampleConfig,
    { ticketStore, signedOutUsers, ...scaleOut }: SampleScaleOut = {},
  ): DynamicModule {
    return {
      module: AppModule,
      imports: [
        SampleConfigModule.forRoot(config),
        ScheduleModule.forRoot(),
        RateLimitModule,
        SessionsModule.forRoot(signedOutUsers),
        SseModule.forRoot({
          ...scaleOut,
          auth: {
            // The path token of /clock/:token first (only routes with a :token parameter have one),
            // then the usual sources of the other streams.
            from: ['param:token', 'header', 'cookie:sse_token', 'query:token'],
            // The tokens of SSE_TOKENS, refused for SIGN_OUT_MS after their user signed out everywhere
            // (a class: the library takes the one SessionsModule provides).
            verifier: SampleTokenVerifier,
            // Single-use tickets (POST /tickets, then ?ticket=): how the page opens the clock and the jobs.
            tickets: { store: ticketStore },
          },
        }),
        // The assistant's answers, as resumable runs recorded through the hub's broker: a run no one listens to
        // (anywhere) for 30 s stops, one lasts 5 minutes at most, and its recording is served for 5 minutes after it ends.
        SseRunsModule.forRoot({ maxRuns: 100, idleTimeoutMs: 30_000, maxDurationMs: 300_000, expireAfterMs: 300_000 }),
        TickerModule,
        ClockModule,
        RoomsModule,
        JobsModule,
        TicketsModule,
        HealthModule,
        StatsModule,
        MetricsModule,
        PageModule,
        AssistantModule,
      ],
    };
  }
}
