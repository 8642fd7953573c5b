import type { SseClient, SseCloseReason } from './sse-client.interface.js';

/** What happened to a stream, as `SseHub.lifecycle$` tells it. */
export type SseLifecycleEvent =
  | { type: 'connected'; client: SseClient }
  | { type: 'joined'; client: SseClient; channels: readonly string[] }
  | { type: 'disconnected'; client: SseClient; reason: SseCloseReason };
