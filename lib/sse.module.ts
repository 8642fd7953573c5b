import { Module, type DynamicModule } from '@nestjs/common';
import { DiscoveryModule } from '@nestjs/core';
import { SSE_BROKER, SSE_RESOLVED_OPTIONS } from './sse.constants.js';
import { SseConfigurableModule, SSE_MODULE_OPTIONS, type SSE_OPTIONS_TYPE } from './sse.module-definition.js';
import type { SseModuleOptions } from './options/sse-module-options.interface.js';
import { resolveModuleOptions, type ResolvedSseModuleOptions } from './options/resolve-module-options.js';
import { InMemorySseBroker } from './brokers/in-memory/in-memory-sse.broker.js';
import { SseHub } from './hub/sse-hub.js';
import { SseStreamRegistry } from './stream/sse-stream-registry.js';
import { SSE_AUTH_EXPORTS, SSE_AUTH_PROVIDERS } from './auth/sse-auth.providers.js';
import { SSE_SCHEDULE_EXPORTS, SSE_SCHEDULE_PROVIDERS } from './schedule/sse-schedule.providers.js';

/**
 * Server-Sent Events for the app. Import it once, in the root module:
 *
 * ```ts
 * \@Module({ imports: [SseModule.forRoot({ heartbeatMs: 15000 })] })
 * export class AppModule {}
 * ```
 *
 * Global by default (`isGlobal: false` to turn that off). Options are checked
 * when the app starts: a bad value fails startup with a message naming it.
 */
@Module({
  imports: [DiscoveryModule],
  providers: [
    {
      provide: SSE_RESOLVED_OPTIONS,
      useFactory: (options: SseModuleOptions) => resolveModuleOptions(options ?? {}),
      inject: [SSE_MODULE_OPTIONS],
    },
    {
      provide: SSE_BROKER,
      useFactory: (options: ResolvedSseModuleOptions) => options.broker ?? new InMemorySseBroker(options.history),
      inject: [SSE_RESOLVED_OPTIONS],
    },
    SseStreamRegistry,
    SseHub,
    ...SSE_AUTH_PROVIDERS,
    ...SSE_SCHEDULE_PROVIDERS,
  ],
  exports: [SSE_RESOLVED_OPTIONS, SSE_BROKER, SseStreamRegistry, SseHub, ...SSE_AUTH_EXPORTS, ...SSE_SCHEDULE_EXPORTS],
})
export class SseModule extends SseConfigurableModule {
  /** Registers the module with these options (all optional). */
  static override forRoot(options: typeof SSE_OPTIONS_TYPE = {}): DynamicModule {
    return super.forRoot(options);
  }
}
