import { Body, Controller, Get, HttpCode, Post, Query, UnauthorizedException } from '@nestjs/common';
import { concat, NEVER, of, type Observable } from 'rxjs';
import { EventStream, SseClient, SseHub, sseEvent, sseEventsOf, type SseEvent } from '../../../lib/index.js';
import type { KitEvents } from './kit-events.js';

const kitEvent = sseEventsOf<KitEvents>();

/** The routes the testing kit's own suite reads: typed events, raw frames, refusals, hub joins. */
@Controller('kit')
export class TestingKitController {
  constructor(private readonly hub: SseHub) {}

  /** Ticks 0..2 and a note between them, a comment, an id-only block, then stays open. */
  @EventStream('ticks')
  ticks(): Observable<SseEvent> {
    return concat(
      of(
        kitEvent('tick', { n: 0 }, { id: 'a' }),
        kitEvent('note', { text: 'between' }),
        sseEvent({ comment: 'a comment' }),
        kitEvent('tick', { n: 1 }, { id: 'b' }),
        kitEvent('tick', { n: 2 }),
        sseEvent({ id: 'c' }),
      ),
      NEVER,
    );
  }

  /** Data that is not JSON, then ends. */
  @EventStream('plain')
  plain(): Observable<SseEvent> {
    return of(sseEvent({ data: 'not json' }), sseEvent({ event: 'note', data: '{"text":"json"}' }));
  }

  /** Echoes the Last-Event-ID the library handed to the handler, and the method and body. */
  @EventStream('echo')
  echo(@SseClient() client: SseClient): Observable<SseEvent> {
    return of(sseEvent({ event: 'echo', data: { lastEventId: client.lastEventId ?? null } }));
  }

  /** A POST stream: echoes its JSON body. */
  @EventStream('posted', { method: 'POST' })
  posted(@Body() body: unknown): Observable<SseEvent> {
    return of(sseEvent({ event: 'posted', data: body }));
  }

  /** Refused before any stream byte: 401 with a JSON body. */
  @EventStream('refused')
  refused(): Observable<SseEvent> {
    throw new UnauthorizedException('no token');
  }

  /** 204: the official "stop". */
  @Get('stop')
  @HttpCode(204)
  stop(): void {}

  /** A stream joined to `?channel=`, for the hub helpers. */
  @EventStream('room')
  room(@SseClient() client: SseClient, @Query('channel') channel: string): Observable<never> {
    return this.hub.join(client, channel);
  }

  /** Keeps a POST route without a stream, to show text/status on plain JSON. */
  @Post('json')
  json(@Body() body: unknown): unknown {
    return { got: body };
  }
}
