import { Controller } from '@nestjs/common';
import { EventStream, SseClient, SseHub } from 'nestjs-event-stream';
import { TICKS_CHANNEL } from './ticker.service.js';

@Controller('ticks')
export class TickerController {
  constructor(private readonly hub: SseHub) {}

  /** GET /ticks: public; every `tick` of the channel, resuming after `Last-Event-ID`. */
  @EventStream()
  ticks(@SseClient() client: SseClient) {
    return this.hub.join(client, TICKS_CHANNEL);
  }
}
