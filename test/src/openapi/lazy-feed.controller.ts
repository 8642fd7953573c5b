import { Controller } from '@nestjs/common';
import { ApiProperty } from '@nestjs/swagger';
import { EventStream } from 'nestjs-event-stream';
import { ApiEventStream } from 'nestjs-event-stream/openapi';
import { of } from 'rxjs';
import { ItemDto, NoteDto } from './feed.dto.js';

/** Lazy types, text schemas and the Last-Event-ID parameters, on streams that are only documented. */
@Controller('lazy')
export class LazyFeedController {
  /** Lazy types (`() => Dto`) whose class is defined, in the long and the short form; a text schema. */
  @ApiEventStream({
    events: {
      note: { type: () => NoteDto, description: 'A note.' },
      item: () => ItemDto,
      items: { type: () => ItemDto, isArray: true },
      mood: { schema: { type: 'string', enum: ['calm', 'busy'] }, description: 'Written as it is.' },
      tags: { schema: { type: 'string' }, isArray: true },
    },
    refusals: [],
  })
  @EventStream('defined')
  defined() {
    return of();
  }

  /** A lazy type whose class is declared below this class: in its temporal dead zone when the decorator applies. */
  @ApiEventStream({ events: { later: { type: () => LaterDto } }, resetEvent: true, refusals: [] })
  @EventStream('later')
  later() {
    return of();
  }

  /** `lastEventId: false` leaves out the Last-Event-ID parameters of a hub stream. */
  @ApiEventStream({ events: { item: ItemDto }, resetEvent: true, lastEventId: false, refusals: [] })
  @EventStream('quiet')
  quiet() {
    return of();
  }
}

/** Declared after the controller, as the DTO of a circular import is defined after its user. */
export class LaterDto {
  @ApiProperty({ format: 'date-time' })
  at!: string;
}
