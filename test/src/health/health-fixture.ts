import type { Provider } from '@nestjs/common';
import { SseTerminusModule } from 'nestjs-event-stream/terminus';
import type { SseModuleOptions } from 'nestjs-event-stream';
import { startApp, type TestApp } from '../../utils/test-app.js';
import { HealthController } from './health.controller.js';

/** An app with `/health/ready`, `/health/live` and `/events/:channel`, on the broker of `options`. */
export function startHealthApp(options: SseModuleOptions = {}, providers: Provider[] = []): Promise<TestApp> {
  return startApp({ imports: [SseTerminusModule], controllers: [HealthController], providers }, options);
}
