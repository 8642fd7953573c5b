import { ConfigurableModuleBuilder } from '@nestjs/common';
import type { SseRunsModuleOptions } from './sse-runs-options.interface.js';

/** Injection token of the runs' options with their defaults, checked. */
export const SSE_RUNS_RESOLVED_OPTIONS = 'SSE:runs-resolved-options';

export const {
  ConfigurableModuleClass: SseRunsConfigurableModule,
  MODULE_OPTIONS_TOKEN: SSE_RUNS_MODULE_OPTIONS,
  OPTIONS_TYPE: SSE_RUNS_OPTIONS_TYPE,
} = new ConfigurableModuleBuilder<SseRunsModuleOptions>({ moduleName: 'SseRuns' })
  .setClassMethodName('forRoot')
  .setFactoryMethodName('createSseRunsOptions')
  .setExtras({ isGlobal: true }, (definition, extras) => ({ ...definition, global: extras.isGlobal }))
  .build();
