import type { SseBroker } from '../brokers/sse-broker.interface.js';
import { isThenable } from '../utils/is-thenable.js';
import type { ChannelIndex } from './channel-index.js';
import type { HubMember } from './hub-member.js';
import type { PendingSubscriptions } from './pending-subscriptions.js';

/**
 * Adds `member` to `channels` in the index, subscribes the broker to those
 * that had no member yet (and waits for those another stream is still
 * subscribing to), then calls `done`. Synchronous as long as every
 * subscription is: returns a promise only once one is asynchronous.
 */
export function subscribeMember(
  broker: SseBroker,
  index: ChannelIndex<HubMember>,
  subscribing: PendingSubscriptions,
  member: HubMember,
  channels: readonly string[],
  done: () => void,
): Promise<void> | void {
  let subscriptions: PromiseLike<void>[] | undefined;
  for (const channel of channels) {
    // A channel another stream is still subscribing to: wait for that subscription too.
    const added = index.add(member, channel);
    const subscribed = added ? broker.subscribe(channel) : subscribing.of(channel);
    if (isThenable(subscribed))
      (subscriptions ??= []).push(added ? subscribing.track(channel, subscribed) : subscribed);
  }
  if (!subscriptions) return done();
  return Promise.all(subscriptions).then(done);
}
