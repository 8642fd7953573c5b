import type { SseBrokerPosition, SseBrokerPublishOptions } from '../sse-broker.interface.js';
import { checkPublishOptions, checkReadArguments } from '../shared/broker-arguments.js';
import { MAX_READ_LIMIT } from './redis-sse-history-reader.js';
import { REDIS_SSE_MESSAGES } from './redis-sse.messages.js';
import type { RedisSsePublish } from './redis-sse-publish.script.js';

/** The arguments of `RedisSseBroker.publish()`, checked (a `TypeError` naming the bad one), as the publish script takes them. */
export function checkedPublish(channel: string, payload: string, options: SseBrokerPublishOptions): RedisSsePublish {
  const { except, idempotencyKey } = checkPublishOptions(
    REDIS_SSE_MESSAGES,
    'RedisSseBroker.publish()',
    channel,
    options,
  );
  if (typeof payload !== 'string') throw new TypeError(REDIS_SSE_MESSAGES.invalidPayload(payload));
  return { channel, payload, except, idempotencyKey };
}

/** The arguments of `RedisSseBroker.read()`, checked (a `TypeError` naming the bad one); returns the distinct channels. */
export function checkedRead(channels: readonly string[], after: SseBrokerPosition, limit: number): string[] {
  return checkReadArguments(REDIS_SSE_MESSAGES, channels, after, limit, MAX_READ_LIMIT);
}
