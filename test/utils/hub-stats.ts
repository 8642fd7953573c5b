import { SseCounters } from '../../lib/stream/sse-counters.js';
import type { SseHubStats } from '../../lib/index.js';

/**
 * An `SseHubStats` of a hub that has seen nothing, with `overrides` on top:
 * for unit tests of what reads `stats()`. Its `closed` and `refused` come
 * from a fresh `SseCounters`, so a new close reason or status is in it.
 */
export function zeroHubStats(overrides: Partial<SseHubStats> = {}): SseHubStats {
  const counters = new SseCounters();
  return {
    connections: 0,
    channels: 0,
    eventsPublished: 0,
    delivered: 0,
    dropped: 0,
    slowClientDisconnects: 0,
    replays: 0,
    replayedEvents: 0,
    resets: 0,
    timers: { heartbeat: 0, deadlines: 0 },
    opened: 0,
    closed: { ...counters.closed },
    refused: { ...counters.refused },
    bytesWritten: 0,
    frameErrors: 0,
    openByRoute: {},
    brokerStatus: { state: 'up' },
    ...overrides,
  };
}
