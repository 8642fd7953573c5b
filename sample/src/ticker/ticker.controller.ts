import { Controller } from '@nestjs/common';
import { EventStream, SseClient, SseHub } from 'nestjs-event-stream';
import { ApiEventStream } from 'nestjs-event-stream/openapi';
import { TICKS_CHANNEL } from './ticker.service.js';
import { TickDto } from './tick.dto.js';

@Controller('ticks')
export class TickerController {
  constructor(private readonly hub: SseHub) {}

  /** GET /ticks: public; every `tick` of the channel, resuming after `Last-Event-ID`. */
  @ApiEventStream({ events: { tick: TickDto }, resetEvent: true, refusals: [429, 503], summary: 'Every tick' })
  @EventStream()
  ticks(@SseClient() client: SseClient) {
    return this.hub.join(client, TICKS_CHANNEL);
  }
}
