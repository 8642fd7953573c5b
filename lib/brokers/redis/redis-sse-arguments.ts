import type { SseBrokerPosition, SseBrokerPublishOptions } from '../sse-broker.interface.js';
import { checkChannelName } from '../../protocol/channel-name.js';
import { checkIdempotencyKey } from '../idempotency-key.js';
import { isExcept, isPosition } from './redis-sse.codec.js';
import { MAX_READ_LIMIT } from './redis-sse-history-reader.js';
import { REDIS_SSE_MESSAGES } from './redis-sse.messages.js';
import type { RedisSsePublish } from './redis-sse-publish.script.js';

/** The arguments of `RedisSseBroker.publish()`, checked (a `TypeError` naming the bad one), as the publish script takes them. */
export function checkedPublish(channel: string, payload: string, options: SseBrokerPublishOptions): RedisSsePublish {
  checkChannelName(channel);
  if (typeof options !== 'object' || options === null) {
    throw new TypeError(REDIS_SSE_MESSAGES.invalidPublishOptions(options));
  }
  const { except, idempotencyKey } = options;
  if (except !== undefined && !isExcept(except)) throw new TypeError(REDIS_SSE_MESSAGES.invalidExcept(except));
  checkIdempotencyKey('RedisSseBroker.publish()', idempotencyKey);
  if (typeof payload !== 'string') throw new TypeError(REDIS_SSE_MESSAGES.invalidPayload(payload));
  return { channel, payload, except, idempotencyKey };
}

/** The arguments of `RedisSseBroker.read()`, checked (a `TypeError` naming the bad one); returns the distinct channels. */
export function checkedRead(channels: readonly string[], after: SseBrokerPosition, limit: number): string[] {
  if (!Array.isArray(channels)) throw new TypeError(REDIS_SSE_MESSAGES.invalidChannels(channels));
  const names = [...new Set(channels)];
  names.forEach(checkChannelName);
  if (!isPosition(after)) throw new TypeError(REDIS_SSE_MESSAGES.invalidPosition(after));
  if (!Number.isSafeInteger(limit) || limit < 1 || limit > MAX_READ_LIMIT) {
    throw new TypeError(REDIS_SSE_MESSAGES.invalidLimit(limit, MAX_READ_LIMIT));
  }
  return names;
}
