import { BadRequestException } from '@nestjs/common';
import { invalidChannelNameMessage, isChannelName } from '../protocol/channel-name.js';

/**
 * A channel name that is not allowed: empty, longer than 200 characters,
 * with characters other than letters, digits and `-_.:/@`, or reserved by
 * the library (`run:`, `run-state:`, `sse-runs:`, for the public join and
 * publish). A `BadRequestException`, so a name that came from the request
 * answers 400.
 */
export class SseChannelNameError extends BadRequestException {
  constructor(
    readonly channel: unknown,
    message: string = invalidChannelNameMessage(channel),
  ) {
    super(message);
  }
}

/** Throws {@link SseChannelNameError} (a 400) unless `channel` is a valid channel name. */
export function assertChannelName(channel: unknown): asserts channel is string {
  if (!isChannelName(channel)) throw new SseChannelNameError(channel);
}
