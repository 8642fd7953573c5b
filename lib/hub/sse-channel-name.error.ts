import { BadRequestException } from '@nestjs/common';
import { invalidChannelNameMessage, isChannelName } from '../protocol/channel-name.js';

/**
 * A channel name that is not allowed: empty, longer than 200 characters, or
 * with characters other than letters, digits and `-_.:/@`. A
 * `BadRequestException`, so a name that came from the request answers 400.
 */
export class SseChannelNameError extends BadRequestException {
  constructor(readonly channel: unknown) {
    super(invalidChannelNameMessage(channel));
  }
}

/** Throws {@link SseChannelNameError} (a 400) unless `channel` is a valid channel name. */
export function assertChannelName(channel: unknown): asserts channel is string {
  if (!isChannelName(channel)) throw new SseChannelNameError(channel);
}
