import type { SseBroker, SseBrokerStatus } from '../brokers/sse-broker.interface.js';
import { SSE_MESSAGES } from '../sse.messages.js';
import type { SseStreamRegistry } from '../stream/sse-stream-registry.js';
import type { SseHubStats } from './sse-hub.interface.js';

/** `SseHub.stats()`: what the registry counts, the hub's channel count and the broker's state, as a new object. */
export function hubStats(registry: SseStreamRegistry, channels: number, broker: SseBroker): SseHubStats {
  const counters = registry.counters;
  return {
    connections: registry.openStreams,
    channels,
    eventsPublished: counters.eventsPublished,
    delivered: counters.delivered,
    dropped: counters.dropped,
    slowClientDisconnects: counters.slowClientDisconnects,
    replays: counters.replays,
    replayedEvents: counters.replayedEvents,
    resets: counters.resets,
    timers: registry.timers,
    opened: counters.opened,
    closed: { ...counters.closed },
    refused: { ...counters.refused },
    bytesWritten: counters.bytesWritten,
    frameErrors: counters.frameErrors,
    openByRoute: counters.openByRoute(),
    brokerStatus: brokerStatusOf(broker),
  };
}

/**
 * The broker's `status()` (`up` when it has none). One that throws counts as
 * `down` with its message, so that `stats()`, a metrics scrape and liveness
 * never fail because of it.
 */
function brokerStatusOf(broker: SseBroker): SseBrokerStatus {
  try {
    return broker.status?.() ?? { state: 'up' };
  } catch (error) {
    return { state: 'down', detail: SSE_MESSAGES.brokerStatusFailed(error) };
  }
}
