import { Module } from '@nestjs/common';
import { SSE_HUB_ADAPTER, SSE_RESOLVED_OPTIONS } from './sse.constants.js';
import { SseConfigurableModule, SSE_MODULE_OPTIONS } from './sse.module-definition.js';
import type { SseModuleOptions } from './interfaces/sse-module-options.interface.js';
import { resolveModuleOptions, type ResolvedSseModuleOptions } from './options/resolve-module-options.js';
import { InMemorySseAdapter } from './adapters/in-memory/in-memory-sse.adapter.js';
import { SseHub } from './hub/sse-hub.js';
import { SseConnectionRegistry } from './connection/sse-connection-registry.js';

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
  providers: [
    {
      provide: SSE_RESOLVED_OPTIONS,
      useFactory: (options: SseModuleOptions) => resolveModuleOptions(options ?? {}),
      inject: [SSE_MODULE_OPTIONS],
    },
    {
      provide: SSE_HUB_ADAPTER,
      useFactory: (options: ResolvedSseModuleOptions) => options.adapter ?? new InMemorySseAdapter(options.history),
      inject: [SSE_RESOLVED_OPTIONS],
    },
    SseConnectionRegistry,
    SseHub,
  ],
  exports: [SSE_RESOLVED_OPTIONS, SSE_HUB_ADAPTER, SseConnectionRegistry, SseHub],
})
export class SseModule extends SseConfigurableModule {}
