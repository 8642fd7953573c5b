import { ConfigurableModuleBuilder } from '@nestjs/common';
import type { SseModuleOptions } from './options/sse-module-options.interface.js';

export const {
  ConfigurableModuleClass: SseConfigurableModule,
  MODULE_OPTIONS_TOKEN: SSE_MODULE_OPTIONS,
  OPTIONS_TYPE: SSE_OPTIONS_TYPE,
} = new ConfigurableModuleBuilder<SseModuleOptions>({ moduleName: 'Sse' })
  .setClassMethodName('forRoot')
  .setFactoryMethodName('createSseOptions')
  .setExtras({ isGlobal: true }, (definition, extras) => ({ ...definition, global: extras.isGlobal }))
  .build();
