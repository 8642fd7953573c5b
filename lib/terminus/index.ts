/**
 * `nestjs-event-stream/terminus`: health checks of the event streams for
 * `@nestjs/terminus` (an optional peer, imported only by this entry point):
 * readiness that follows the broker's link, liveness that does not.
 */
export { SseHealthIndicator, type SseReadinessDetails, type SseReadinessOptions } from './sse-health.indicator.js';
export { SseTerminusModule } from './sse-terminus.module.js';
