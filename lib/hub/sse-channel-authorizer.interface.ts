import type { SseClient } from '../stream/sse-client.interface.js';

/**
 * Decides whether a stream may join a channel. Provided under
 * `SSE_CHANNEL_AUTHORIZER`, it is asked by `SseHub.join()` for every channel
 * before the stream opens: a refusal answers 403 and joins nothing.
 */
export interface SseChannelAuthorizer {
  canJoin(user: unknown, channel: string, client: SseClient): boolean | Promise<boolean>;
}
