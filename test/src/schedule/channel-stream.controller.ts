import { Controller, Param } from '@nestjs/common';
import { EventStream, SseClient, SseHub } from '../../../lib/index.js';

/** `GET /channels/:channel`: a stream joined to one channel. */
@Controller('channels')
export class ChannelStreamController {
  constructor(private readonly hub: SseHub) {}

  @EventStream(':channel')
  join(@Param('channel') channel: string, @SseClient() client: SseClient) {
    return this.hub.join(client, channel);
  }
}
