import { Body, Controller, Param, Post, UseGuards } from '@nestjs/common';
import { EventStream, SseClient, SseHub, sseEvent } from 'nestjs-event-stream';
import { ApiBearerAuth, ApiQuery, ApiResponse } from '@nestjs/swagger';
import { ApiEventStream } from 'nestjs-event-stream/openapi';
import { BearerAuthGuard } from '../auth/bearer-auth.guard.js';
import { CurrentUser, type SampleUser } from '../auth/sample-user.js';
import { StreamAuthGuard } from '../auth/stream-auth.guard.js';
import { PostRateLimitGuard } from '../rate-limit/post-rate-limit.guard.js';
import { MessageBodyPipe, type MessageBody } from './message-body.pipe.js';
import { roomChannel, RoomNamePipe } from './room-name.pipe.js';
import { RoomMessageDto } from './room-message.dto.js';

@Controller('rooms')
export class RoomsController {
  constructor(private readonly hub: SseHub) {}

  /**
   * GET /rooms/:room/events: authenticated (Bearer header, `sse_token` cookie
   * or `?token=`); joins `room:<room>` and replays what the client missed
   * after its `Last-Event-ID` (header, or `lastEventId` query parameter).
   */
  @UseGuards(StreamAuthGuard)
  @ApiBearerAuth()
  @ApiQuery({ name: 'ticket', required: false, description: 'A single-use ticket of POST /tickets.' })
  @ApiQuery({ name: 'token', required: false, description: 'The token, for clients that can set no header or cookie.' })
  @ApiResponse({ status: 400, description: 'Bad Request: the room name is not 1 to 195 of A-Z a-z 0-9 - _ . : @.' })
  @ApiEventStream({
    events: { message: { type: RoomMessageDto, description: 'A message posted to the room.' } },
    resetEvent: true,
    refusals: [401, 429, 503],
    summary: 'The messages of a room, replayed after Last-Event-ID',
  })
  @EventStream(':room/events')
  events(@Param('room', RoomNamePipe) room: string, @SseClient() client: SseClient) {
    return this.hub.join(client, roomChannel(room));
  }

  /**
   * POST /rooms/:room/messages `{ "text": "..." }`: publishes a `message` and
   * answers 201 with its event id; 429 with `Retry-After` when the user posts
   * faster than `POST_LIMIT` per `POST_WINDOW_MS`.
   */
  @UseGuards(BearerAuthGuard, PostRateLimitGuard)
  @ApiBearerAuth()
  @Post(':room/messages')
  async post(
    @Param('room', RoomNamePipe) room: string,
    @Body(MessageBodyPipe) body: MessageBody,
    @CurrentUser() user: SampleUser,
  ): Promise<{ id: string }> {
    const data = { room, text: body.text, user: user.id, at: new Date().toISOString() };
    return { id: await this.hub.publish(roomChannel(room), sseEvent({ event: 'message', data })) };
  }
}
