import { Module, type DynamicModule } from '@nestjs/common';
import { resolveRunsOptions } from './resolve-runs-options.js';
import {
  SSE_RUNS_MODULE_OPTIONS,
  SSE_RUNS_OPTIONS_TYPE,
  SSE_RUNS_RESOLVED_OPTIONS,
  SseRunsConfigurableModule,
} from './sse-runs.module-definition.js';
import type { SseRunsModuleOptions } from './sse-runs-options.interface.js';
import { SseRuns } from './sse-runs.js';

/**
 * Resumable runs: work that outlives the request that started it, recorded
 * through the hub's broker. Import it beside `SseModule` (which it uses:
 * its hub and broker), once, in the root module:
 *
 * ```ts
 * \@Module({ imports: [SseModule.forRoot({ broker }), SseRunsModule.forRoot({ idleTimeoutMs: 30_000 })] })
 * export class AppModule {}
 * ```
 *
 * Global by default (`isGlobal: false` to turn that off); `forRootAsync()`
 * takes a factory, a class or an existing provider. Options are checked when
 * the app starts.
 */
@Module({
  providers: [
    {
      provide: SSE_RUNS_RESOLVED_OPTIONS,
      useFactory: (options: SseRunsModuleOptions) => resolveRunsOptions(options ?? {}),
      inject: [SSE_RUNS_MODULE_OPTIONS],
    },
    SseRuns,
  ],
  exports: [SseRuns],
})
export class SseRunsModule extends SseRunsConfigurableModule {
  /** Registers the runs with these options (all optional). */
  static override forRoot(options: typeof SSE_RUNS_OPTIONS_TYPE = {}): DynamicModule {
    return super.forRoot(options);
  }
}
