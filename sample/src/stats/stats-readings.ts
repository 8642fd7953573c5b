import { Injectable } from '@nestjs/common';
import { SseHub } from 'nestjs-event-stream';
import { defer, map, pairwise, shareReplay, startWith, timer, type Observable } from 'rxjs';
import type { StatsSnapshotDto } from './stats-snapshot.dto.js';

/** How often a snapshot is taken. */
export const STATS_INTERVAL_MS = 1000;

/** What a snapshot is computed from: the hub's counters at a moment. */
interface Reading {
  at: number;
  stats: ReturnType<SseHub['stats']>;
}

/**
 * The hub's numbers once a second, for every `/stats/events` stream at once:
 * one timer and one `hub.stats()` per second however many watch (shared,
 * the last snapshot replayed to a stream that joins), none once the last
 * stream has ended.
 */
@Injectable()
export class StatsReadings {
  readonly snapshots$: Observable<StatsSnapshotDto>;

  constructor(private readonly hub: SseHub) {
    this.snapshots$ = defer(() => {
      const first = this.read();
      return timer(0, STATS_INTERVAL_MS).pipe(
        map(() => this.read()),
        startWith(first),
        pairwise(),
        map(([before, now]) => snapshot(before, now)),
      );
    }).pipe(shareReplay({ bufferSize: 1, refCount: true }));
  }

  private read(): Reading {
    return { at: Date.now(), stats: this.hub.stats() };
  }
}

function snapshot(before: Reading, now: Reading): StatsSnapshotDto {
  const seconds = Math.max(now.at - before.at, 1) / 1000;
  const rate = (key: 'eventsPublished' | 'delivered') =>
    Math.round(((now.stats[key] - before.stats[key]) / seconds) * 10) / 10;
  // The first snapshot compares two readings a moment apart: no rate yet.
  const first = now.at - before.at < STATS_INTERVAL_MS / 2;
  return {
    at: new Date(now.at).toISOString(),
    streams: now.stats.connections,
    channels: now.stats.channels,
    eventsPerSecond: first ? 0 : rate('eventsPublished'),
    deliveredPerSecond: first ? 0 : rate('delivered'),
    dropped: now.stats.dropped,
    slowClientDisconnects: now.stats.slowClientDisconnects,
    // The state only: the broker's detail names the host of Redis and its errors, not for a public route.
    broker: { state: now.stats.brokerStatus.state },
  };
}
