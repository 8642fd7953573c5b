import { Module } from '@nestjs/common';
import { AssistantController } from './assistant.controller.js';
import { DemoTextGenerator } from './demo-text.generator.js';

/**
 * The assistant panel: answers streamed word by word as resumable runs
 * (`SseRunsModule`, registered in the root module), from a deterministic
 * demo text generator that stands in for a model, and the panel's script.
 */
@Module({
  controllers: [AssistantController],
  providers: [DemoTextGenerator],
  exports: [DemoTextGenerator],
})
export class AssistantModule {}
