import { Controller } from '@nestjs/common';
import { EventStream, sseEvent, type SseEvent } from 'nestjs-event-stream';
import { ApiEventStream } from 'nestjs-event-stream/openapi';
import { map, type Observable } from 'rxjs';
import { StatsReadings } from './stats-readings.js';
import { StatsSnapshotDto } from './stats-snapshot.dto.js';

@Controller('stats')
export class StatsController {
  constructor(private readonly readings: StatsReadings) {}

  /**
   * GET /stats/events: public; this instance's hub once a second (streams,
   * events and frames per second from the counters' deltas, drops, slow
   * clients cut off, the broker's state without its detail): what the page's "Server" panel
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
    return this.readings.snapshots$.pipe(map((data) => sseEvent({ event: 'stats', data })));
  }
}
