import { assertChannelName, SseChannelNameError } from './sse-channel-name.error.js';

/**
 * The channel name prefixes the library keeps for itself: resumable runs
 * record their events on `run:<id>` and their state on `run-state:<id>`,
 * and name other instances' listeners on `sse-runs:...`. `SseRuns` joins and
 * publishes them (checking owners itself); the public `SseHub.join()` and
 * `publish()` refuse them, so that a generic join route cannot read a run
 * and a publish cannot forge one's records.
 */
export const RESERVED_CHANNEL_PREFIXES: readonly string[] = Object.freeze(['run:', 'run-state:', 'sse-runs:']);

/** Whether `channel` starts with a prefix the library keeps for itself. Pure. */
export function isReservedChannel(channel: string): boolean {
  return RESERVED_CHANNEL_PREFIXES.some((prefix) => channel.startsWith(prefix));
}

/** Why a reserved channel was refused, naming the rule. */
export function reservedChannelMessage(channel: string): string {
  const shown = JSON.stringify(channel.length > 64 ? `${channel.slice(0, 64)}...` : channel);
  return (
    `SSE channel ${shown} is reserved: names starting with ${RESERVED_CHANNEL_PREFIXES.map((p) => `"${p}"`).join(', ')} ` +
    'belong to resumable runs (SseRuns.listen() joins them); use another name.'
  );
}

/** Throws {@link SseChannelNameError} (a 400) unless `channel` is a valid name that is not reserved. */
export function assertPublicChannelName(channel: unknown): asserts channel is string {
  assertChannelName(channel);
  if (isReservedChannel(channel)) throw new SseChannelNameError(channel, reservedChannelMessage(channel));
}
