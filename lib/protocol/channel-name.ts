import { SseChannelNameError } from './sse-channel-name.error.js';

/** The longest channel name. */
export const MAX_CHANNEL_NAME_LENGTH = 200;
const CHANNEL_NAME = /^[A-Za-z0-9\-_.:/@]{1,200}$/;

/** Whether `channel` is a valid channel name. */
export function isChannelName(channel: unknown): channel is string {
  return typeof channel === 'string' && CHANNEL_NAME.test(channel);
}

/** Throws {@link SseChannelNameError} unless `channel` is a valid channel name. */
export function assertChannelName(channel: unknown): asserts channel is string {
  if (!isChannelName(channel)) throw new SseChannelNameError(channel);
}
