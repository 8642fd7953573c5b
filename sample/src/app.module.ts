import { Module, type DynamicModule } from '@nestjs/common';
import { ScheduleModule } from '@nestjs/schedule';
import { SseModule, StaticTokenVerifier, type SseModuleOptions } from 'nestjs-event-stream';
import type { SampleUser } from './auth/sample-user.js';
import { ClockModule } from './clock/clock.module.js';
import { SampleConfigModule } from './config/sample-config.module.js';
import type { SampleConfig } from './config/sample-config.js';
import { HealthModule } from './health/health.module.js';
import { JobsModule } from './jobs/jobs.module.js';
import { PageModule } from './page/page.module.js';
import { RateLimitModule } from './rate-limit/rate-limit.module.js';
import { RoomsModule } from './rooms/rooms.module.js';
import { TickerModule } from './ticker/ticker.module.js';

/** The sample app: one module per feature, the SSE hub and its auth configured once here. */
@Module({})
export class AppModule {
  /**
   * `scaleOut`: the hub's broker and schedule lock (Redis when `SSE_REDIS_URL`
   * is set); the in-memory defaults otherwise.
   */
  static forRoot(
    config: SampleConfig,
    scaleOut: Pick<SseModuleOptions, 'broker' | 'scheduleLock'> = {},
  ): DynamicModule {
    const users = new Map<string, SampleUser>([...config.tokens].map(([token, id]) => [token, { id }]));
    return {
      module: AppModule,
      imports: [
        SampleConfigModule.forRoot(config),
        ScheduleModule.forRoot(),
        RateLimitModule,
        SseModule.forRoot({
          ...scaleOut,
          auth: {
            // The path token of /clock/:token first (only routes with a :token parameter have one),
            // then the usual sources of the other streams.
            from: ['param:token', 'header', 'cookie:sse_token', 'query:token'],
            verifier: new StaticTokenVerifier(users),
          },
        }),
        TickerModule,
        ClockModule,
        RoomsModule,
        JobsModule,
        HealthModule,
        PageModule,
      ],
    };
  }
}
