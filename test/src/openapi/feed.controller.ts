import { Body, Controller, Param } from '@nestjs/common';
import { EventStream, sseEvent } from 'nestjs-event-stream';
import { ApiEventStream } from 'nestjs-event-stream/openapi';
import { of } from 'rxjs';
import { ItemDto, NoteDto } from './feed.dto.js';

/** Every payload form `@ApiEventStream()` takes, on a GET and a POST stream. */
@Controller('feed')
export class FeedController {
  /** GET /feed/:room: notes, text lines, counts and batches; a hub stream with resets; every refusal. */
  @ApiEventStream({
    events: {
      note: { type: NoteDto, description: 'A note was posted.' },
      line: String,
      count: Number,
      batch: { type: ItemDto, isArray: true },
    },
    resetEvent: true,
    refusals: [204, 401, 403, 429, 503],
    summary: 'The feed of a room',
    description: 'Everything posted in the room, live.',
  })
  @EventStream(':room')
  feed(@Param('room') room: string) {
    return of(sseEvent({ event: 'line', data: `hello ${room}` }));
  }

  /** POST /feed: plain `message` events (no `event:` field), no final word, a raw schema. */
  @EventStream('', { method: 'POST', endEventName: false })
  @ApiEventStream({
    events: { message: { schema: { type: 'object', properties: { echo: { type: 'string' } } } } },
    endEvent: false,
    refusals: [],
  })
  echo(@Body() body: unknown) {
    return of({ echo: body });
  }
}
