import { Module } from '@nestjs/common';
import { SSE_RESOLVED_OPTIONS } from './sse.constants.js';
import { SseConfigurableModule, SSE_MODULE_OPTIONS } from './sse.module-definition.js';
import type { SseModuleOptions } from './interfaces/sse-module-options.interface.js';
import { resolveStreamOptions } from './options/resolve-stream-options.js';
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
      useFactory: (options: SseModuleOptions) => resolveStreamOptions(options ?? {}),
      inject: [SSE_MODULE_OPTIONS],
    },
    SseConnectionRegistry,
  ],
  exports: [SSE_RESOLVED_OPTIONS, SseConnectionRegistry],
})
export class SseModule extends SseConfigurableModule {}
