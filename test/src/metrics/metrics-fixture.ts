import { Body, Controller, Param, Post, UseGuards } from '@nestjs/common';
import { of } from 'rxjs';
import { EventStream, SseAuthGuard, SseClient, SseHub, sseEvent, type SseModuleOptions } from '../../../lib/index.js';

/** Bearer tokens of the fixture and their users. */
export const TOKENS: Record<string, { id: string }> = {
  'token-alice': { id: 'alice' },
  'token-bob': { id: 'bob' },
  'token-carol': { id: 'carol' },
};

export const bearer = (token: string) => ({ authorization: `Bearer ${token}` });

/** `auth` for `SseModule.forRoot()`: the tokens above; the channel `room:secret` is refused to everyone (403). */
export const METRICS_AUTH: NonNullable<SseModuleOptions['auth']> = {
  verify: (token: string) => TOKENS[token] ?? null,
  canJoin: (_user: unknown, channel: string) => channel !== 'room:secret',
};

/** `GET /rooms/:room/events`: authenticated streams joined to `room:<room>`. */
@Controller('rooms')
@UseGuards(SseAuthGuard)
export class MetricsRoomsController {
  constructor(private readonly hub: SseHub) {}

  @EventStream(':room/events')
  events(@Param('room') room: string, @SseClient() client: SseClient) {
    return this.hub.join(client, `room:${room}`);
  }
}

/** `GET /feed/:channel`: anonymous streams joined to a channel; `POST /feed/:channel` publishes its `text`. */
@Controller('feed')
export class MetricsFeedController {
  constructor(private readonly hub: SseHub) {}

  @EventStream(':channel')
  feed(@Param('channel') channel: string, @SseClient() client: SseClient) {
    return this.hub.join(client, channel);
  }

  @Post(':channel')
  async publish(@Param('channel') channel: string, @Body() body: { text: string }) {
    return { id: await this.hub.publish(channel, sseEvent({ event: 'message', data: body.text })) };
  }
}

/** `GET /frames/bad`: a value that cannot be framed (a line break in its event name), then one that can; then it completes. */
@Controller('frames')
export class MetricsFramesController {
  @EventStream('bad')
  bad() {
    return of(sseEvent({ event: 'bad\nname', data: 1 }), sseEvent({ event: 'good', data: 2 }));
  }
}
