import { Controller } from '@nestjs/common';
import { EventStream, SseHub, sseEvent, type SseEvent } from 'nestjs-event-stream';
import { ApiEventStream } from 'nestjs-event-stream/openapi';
import { map, pairwise, startWith, timer, type Observable } from 'rxjs';
import { StatsSnapshotDto } from './stats-snapshot.dto.js';

/** How often a `stats` event is sent. */
export const STATS_INTERVAL_MS = 1000;

/** What a snapshot is computed from: the hub's counters at a moment. */
interface Reading {
  at: number;
  stats: ReturnType<SseHub['stats']>;
}

@Controller('stats')
export class StatsController {
  constructor(private readonly hub: SseHub) {}

  /**
   * GET /stats/events: public; this instance's hub once a second (streams,
   * events and frames per second from the counters' deltas, drops, slow
   * clients cut off, the broker's state): what the page's "Server" panel
   * draws. The stream's own events are not published through the hub, so
   * watching does not count as traffic (it is one of the streams open).
   */
  @ApiEventStream({
    events: { stats: StatsSnapshotDto },
    refusals: [429, 503],
    summary: "The hub's numbers, every second",
  })
  @EventStream('events')
  events(): Observable<SseEvent> {
    const read = (): Reading => ({ at: Date.now(), stats: this.hub.stats() });
    const first = read();
    return timer(0, STATS_INTERVAL_MS).pipe(
      map(read),
      startWith(first),
      pairwise(),
      map(([before, now]) => sseEvent({ event: 'stats', data: snapshot(before, now) })),
    );
  }
}

function snapshot(before: Reading, now: Reading): StatsSnapshotDto {
  const seconds = Math.max(now.at - before.at, 1) / 1000;
  const rate = (key: 'eventsPublished' | 'delivered') =>
    Math.round(((now.stats[key] - before.stats[key]) / seconds) * 10) / 10;
  const { state, detail } = now.stats.brokerStatus;
  return {
    at: new Date(now.at).toISOString(),
    streams: now.stats.connections,
    channels: now.stats.channels,
    // The first snapshot compares two readings a moment apart: no rate yet.
    eventsPerSecond: now.at - before.at < STATS_INTERVAL_MS / 2 ? 0 : rate('eventsPublished'),
    deliveredPerSecond: now.at - before.at < STATS_INTERVAL_MS / 2 ? 0 : rate('delivered'),
    dropped: now.stats.dropped,
    slowClientDisconnects: now.stats.slowClientDisconnects,
    broker: detail === undefined ? { state } : { state, detail },
  };
}
