import type { SseBrokerPosition, SseBrokerPublishOptions } from '../sse-broker.interface.js';
import { checkChannelName } from '../../protocol/channel-name.js';
import { checkIdempotencyKey } from '../idempotency-key.js';
import type { BrokerMessages } from './broker-messages.js';
import { isPosition } from './broker-position.js';
import { isExcept } from './broker-sent-message.js';

/**
 * The channel and options of a broker's `publish()`, checked (a `TypeError`
 * naming the bad one, in the broker's words; `where` names the call for the
 * idempotency key, e.g. `PostgresSseBroker.publish()`). The payload is each
 * broker's to check (what its service can carry differs). Pure.
 */
export function checkPublishOptions(
  messages: Pick<BrokerMessages, 'invalidPublishOptions' | 'invalidExcept'>,
  where: string,
  channel: string,
  options: SseBrokerPublishOptions,
): SseBrokerPublishOptions {
  checkChannelName(channel);
  if (typeof options !== 'object' || options === null) throw new TypeError(messages.invalidPublishOptions(options));
  const { except, idempotencyKey } = options;
  if (except !== undefined && !isExcept(except)) throw new TypeError(messages.invalidExcept(except));
  checkIdempotencyKey(where, idempotencyKey);
  return { except, idempotencyKey };
}

/**
 * The arguments of a broker's `read()`, checked (a `TypeError` naming the
 * bad one, in the broker's words; `limit` from 1 to `maxLimit`); returns the
 * distinct channels. Pure.
 *
 * @example
 * checkReadArguments(MESSAGES, ['a', 'a', 'b'], { epoch: 'e', seq: 0 }, 100, 10_000); // ['a', 'b']
 */
export function checkReadArguments(
  messages: Pick<BrokerMessages, 'invalidChannels' | 'invalidPosition' | 'invalidLimit'>,
  channels: readonly string[],
  after: SseBrokerPosition,
  limit: number,
  maxLimit: number,
): string[] {
  if (!Array.isArray(channels)) throw new TypeError(messages.invalidChannels(channels));
  const names = [...new Set(channels)];
  names.forEach(checkChannelName);
  if (!isPosition(after)) throw new TypeError(messages.invalidPosition(after));
  if (!Number.isSafeInteger(limit) || limit < 1 || limit > maxLimit) {
    throw new TypeError(messages.invalidLimit(limit, maxLimit));
  }
  return names;
}
