import { BadRequestException } from '@nestjs/common';

/**
 * A channel name that is not allowed: empty, longer than 200 characters, or
 * with characters other than letters, digits and `-_.:/@`. A
 * `BadRequestException`, so a name that came from the request answers 400.
 */
export class SseChannelNameError extends BadRequestException {
  constructor(readonly channel: unknown) {
    super(`Invalid SSE channel name ${formatChannel(channel)}: use 1 to 200 letters, digits or -_.:/@ characters.`);
  }
}

function formatChannel(channel: unknown): string {
  if (typeof channel !== 'string') return `(${channel === null ? 'null' : typeof channel})`;
  return JSON.stringify(channel.length > 64 ? `${channel.slice(0, 64)}...` : channel);
}
