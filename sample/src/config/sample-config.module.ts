import { Module, type DynamicModule } from '@nestjs/common';
import type { SampleConfig } from './sample-config.js';

/** Injection token of the parsed `SampleConfig`. */
export const SAMPLE_CONFIG = 'SAMPLE:CONFIG';

/** Provides the app's `SampleConfig` to every feature module. */
@Module({})
export class SampleConfigModule {
  static forRoot(config: SampleConfig): DynamicModule {
    return {
      module: SampleConfigModule,
      global: true,
      providers: [{ provide: SAMPLE_CONFIG, useValue: config }],
      exports: [SAMPLE_CONFIG],
    };
  }
}
