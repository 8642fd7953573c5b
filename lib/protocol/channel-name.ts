/** The longest channel name. */
export const MAX_CHANNEL_NAME_LENGTH = 200;
const CHANNEL_NAME = /^[A-Za-z0-9\-_.:/@]{1,200}$/;

/** Whether `channel` is a valid channel name: 1 to 200 letters, digits or `-_.:/@`. */
export function isChannelName(channel: unknown): channel is string {
  return typeof channel === 'string' && CHANNEL_NAME.test(channel);
}

/** What is wrong with a channel name, shown safely (a long one cut, a non-string by its type). */
export function invalidChannelNameMessage(channel: unknown): string {
  const shown =
    typeof channel !== 'string'
      ? `(${channel === null ? 'null' : typeof channel})`
      : JSON.stringify(channel.length > 64 ? `${channel.slice(0, 64)}...` : channel);
  return `Invalid SSE channel name ${shown}: use 1 to 200 letters, digits or -_.:/@ characters.`;
}

/**
 * Throws a `TypeError` unless `channel` is a valid channel name: for brokers
 * and other code below the HTTP layer, where a bad name is a programming
 * error. Request-facing code uses `assertChannelName` (a 400).
 */
export function checkChannelName(channel: unknown): asserts channel is string {
  if (!isChannelName(channel)) throw new TypeError(invalidChannelNameMessage(channel));
}
