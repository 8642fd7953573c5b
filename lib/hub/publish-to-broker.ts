import type { SseBroker, SseBrokerPosition, SseBrokerPublishOptions } from '../brokers/sse-broker.interface.js';
import { formatEventId } from '../protocol/event-id.js';
import type { SseStreamRegistry } from '../stream/sse-stream-registry.js';
import { isThenable } from '../utils/is-thenable.js';

/**
 * Hands an encoded event to the broker, timed for the metrics exporters
 * when any is registered, and resolves to its id. Counted as published
 * (`stats().eventsPublished`) once the broker has stored it: a publish that
 * fails is only in the publish histogram, with the outcome `error`.
 */
export function publishToBroker(
  broker: SseBroker,
  registry: SseStreamRegistry,
  channel: string,
  payload: string,
  options: SseBrokerPublishOptions,
): Promise<string> {
  const instruments = registry.instruments;
  const position = instruments.active
    ? instruments.timePublish(() => broker.publish(channel, payload, options))
    : broker.publish(channel, payload, options);
  const stored = (at: SseBrokerPosition): string => {
    registry.counters.eventsPublished++;
    return formatEventId(at.epoch, at.seq);
  };
  return isThenable(position) ? Promise.resolve(position).then(stored) : Promise.resolve(stored(position));
}
