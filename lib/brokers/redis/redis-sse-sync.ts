import { newEpoch } from '../../protocol/event-id.js';
import type { RedisSseConnections } from './redis-sse-connections.js';
import { withTimeout } from './redis-sse-failure.js';
import type { RedisSseKeys } from './redis-sse.keys.js';
import { ENSURE_EPOCH_SCRIPT } from './redis-sse.scripts.js';

/** Where the namespace stood when a subscriber was set up: its epoch and newest sequence number. */
export interface RedisSseSyncHead {
  readonly epoch: string;
  readonly head: number;
}

/**
 * The Redis side of setting up a (re)connected subscriber: makes sure the
 * namespace has an epoch (on the subscriber connection itself: on a cluster,
 * a MOVED answer says it is not on the namespace's master), then SUBSCRIBEs
 * (or SSUBSCRIBEs) to the control channel, this
 * instance's channel and every channel of `channels` (read again until none
 * is missing: joins may add some meanwhile). Every call is bounded by
 * `timeoutMs`: a Redis that stalls mid-sync rejects it with a timeout
 * (`isTimeout()`), as a Redis that refuses (OOM, ACL) rejects it with its error.
 */
export async function syncSubscriber(
  { subscriber, pubsub }: Pick<RedisSseConnections, 'subscriber' | 'pubsub'>,
  keys: RedisSseKeys,
  instanceChannel: string,
  channels: ReadonlySet<string>,
  timeoutMs: number,
): Promise<RedisSseSyncHead> {
  const ensured = ENSURE_EPOCH_SCRIPT.run(subscriber, [keys.epoch, keys.seq], [newEpoch()]);
  const [epochText, headText] = (await withTimeout(ensured, timeoutMs)) as [string, string];
  const done = new Set<string>();
  let missing = [...channels];
  let names = [keys.control, instanceChannel, ...missing.map((channel) => keys.channel(channel))];
  for (;;) {
    await withTimeout(pubsub.subscribe(subscriber, names), timeoutMs);
    missing.forEach((channel) => done.add(channel));
    missing = [...channels].filter((channel) => !done.has(channel));
    if (missing.length === 0) break;
    names = missing.map((channel) => keys.channel(channel));
  }
  return { epoch: String(epochText), head: Number(headText) };
}
