import { Module } from '@nestjs/common';
import { TerminusModule } from '@nestjs/terminus';
import { SseHealthIndicator } from './sse-health.indicator.js';

/**
 * Provides `SseHealthIndicator` and re-exports `TerminusModule` (its
 * `HealthCheckService`): one import for a health controller. `SseModule`
 * must be registered (it is global by default). For terminus options
 * (`gracefulShutdownTimeoutMs`, `errorLogStyle`...), import
 * `TerminusModule.forRoot({...})` beside it.
 *
 * ```ts
 * @Module({ imports: [SseModule.forRoot(), SseTerminusModule], controllers: [HealthController] })
 * export class AppModule {}
 * ```
 */
@Module({
  imports: [TerminusModule],
  providers: [SseHealthIndicator],
  exports: [SseHealthIndicator, TerminusModule],
})
export class SseTerminusModule {}
