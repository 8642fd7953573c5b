import type { SseStreamOptions } from './sse-stream-options.interface.js';

/** Options of `SseModule.forRoot()` / `forRootAsync()`. */
export interface SseModuleOptions extends SseStreamOptions {}

/** A class that `forRootAsync({ useClass })` instantiates to get the options. */
export interface SseOptionsFactory {
  createSseOptions(): SseModuleOptions | Promise<SseModuleOptions>;
}
