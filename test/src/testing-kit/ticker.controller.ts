import { Controller, Param } from '@nestjs/common';
import { interval, map } from 'rxjs';
import { EventStream, SseClient, SseHub, sseEventsOf } from '../../../lib/index.js';

/** The controller of docs/testing.md's example, as it is written there. */
export interface TickerEvents {
  tick: { n: number };
}
const tickerEvent = sseEventsOf<TickerEvents>();

@Controller()
export class TickerController {
  constructor(private readonly hub: SseHub) {}

  @EventStream('ticks')
  ticks(@SseClient() client: SseClient) {
    const from = Number(client.lastEventId ?? -1) + 1; // resume after the client's last tick
    return interval(10).pipe(map((i) => tickerEvent('tick', { n: from + i }, { id: from + i })));
  }

  @EventStream('rooms/:room')
  room(@Param('room') room: string, @SseClient() client: SseClient) {
    return this.hub.join(client, `room:${room}`);
  }
}
