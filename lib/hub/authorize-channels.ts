import { ForbiddenException } from '@nestjs/common';
import { SSE_MESSAGES } from '../sse.messages.js';
import type { SseConnection } from '../stream/sse-connection.js';
import type { SseChannelAuthorizer } from './sse-channel-authorizer.interface.js';

/** Asks `authorizer` for every channel, in order: the first refusal (anything but `true`) is a 403 naming the channel. */
export async function authorizeChannels(
  authorizer: SseChannelAuthorizer,
  connection: SseConnection,
  channels: string[],
): Promise<void> {
  for (const channel of channels) {
    if (!(await authorizer.canJoin(connection.user, channel, connection))) {
      throw new ForbiddenException(SSE_MESSAGES.channelForbidden(channel));
    }
  }
}
