import { createParamDecorator, type ExecutionContext } from '@nestjs/common';
import { SSE_CONNECTION_KEY } from '../sse.constants.js';
import { SSE_MESSAGES } from '../sse.messages.js';
import type { SseClient as SseClientConnection } from './sse-client.interface.js';

/** One open stream, as `@SseClient()` injects it (see the `SseClient` interface fields). */
export type SseClient = SseClientConnection;

/**
 * Injects the stream's connection (`SseClient`) into an `@EventStream()`
 * handler: its `id`, `lastEventId`, `request`, `user` and an abort `signal`.
 *
 * @example
 * \@EventStream('rooms/:room')
 * events(\@Param('room') room: string, \@SseClient() client: SseClient) {
 *   return this.hub.join(client, [`room:${room}`]);
 * }
 */
export const SseClient = createParamDecorator((_data: unknown, context: ExecutionContext): SseClientConnection => {
  const request = context.switchToHttp().getRequest<Record<symbol, unknown>>();
  const connection = request[SSE_CONNECTION_KEY] as SseClientConnection | undefined;
  if (!connection) throw new Error(SSE_MESSAGES.clientOutsideStream());
  return connection;
});
