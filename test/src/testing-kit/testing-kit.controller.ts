import { Body, Controller, Get, HttpCode, Post, Query, Res, UnauthorizedException } from '@nestjs/common';
import type { ServerResponse } from 'node:http';
import { Http2ServerResponse } from 'node:http2';
import { concat, filter, map, merge, NEVER, of, range, Subject, takeUntil, type Observable } from 'rxjs';
import { EventStream, SseClient, SseHub, sseEvent, sseEventsOf, type SseEvent } from '../../../lib/index.js';
import type { KitEvents } from './kit-events.js';

const kitEvent = sseEventsOf<KitEvents>();

/** The routes the testing kit's own suite reads: typed events, raw frames, refusals, hub joins. */
@Controller('kit')
export class TestingKitController {
  private readonly leaves = new Subject<string>();
  private readonly drops = new Set<() => void>();

  constructor(private readonly hub: SseHub) {}

  /** Makes the `leaving` streams of `channel` leave it; they stay open. */
  leave(channel: string): void {
    this.leaves.next(channel);
  }

  /** Drops the connection of every `dropped` response: destroys its socket (its HTTP/2 session), mid-body. */
  dropAll(): void {
    for (const drop of this.drops) drop();
    this.drops.clear();
  }

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

  /**
   * `?count=` events (data 0, 1, ...) at once, then stays open: room to buffer
   * them all (HTTP/2 flow control holds them back). It does not complete: a
   * stream that ends with a backlog gives its client one second to take the
   * rest, less than a loaded machine may need to read 20,000 events one by one.
   */
  @EventStream('many', { maxBufferedBytes: 16 * 1024 * 1024 })
  many(@Query('count') count: string): Observable<SseEvent> {
    return concat(range(0, Number(count)).pipe(map((n) => sseEvent({ data: n }))), NEVER);
  }

  /** Joined to `?channel=` until `leave(channel)`; open after that, in no channel. */
  @EventStream('leaving')
  leaving(@SseClient() client: SseClient, @Query('channel') channel: string): Observable<never> {
    const left = this.leaves.pipe(filter((name) => name === channel));
    return merge(this.hub.join(client, channel).pipe(takeUntil(left)), NEVER);
  }

  /** One event, then the body stays open until `dropAll()` destroys the connection under it. */
  @Get('dropped')
  dropped(@Res() reply: unknown): void {
    const response = ((reply as { raw?: unknown }).raw ?? reply) as ServerResponse | Http2ServerResponse;
    if (response instanceof Http2ServerResponse) {
      response.writeHead(200, { 'content-type': 'text/event-stream' });
      response.write('data: "before the drop"\n\n');
      this.drops.add(() => response.stream.session?.destroy());
    } else {
      response.writeHead(200, { 'content-type': 'text/event-stream' });
      response.write('data: "before the drop"\n\n');
      this.drops.add(() => response.socket?.destroy());
    }
  }

  /** Keeps a POST route without a stream, to show text/status on plain JSON. */
  @Post('json')
  json(@Body() body: unknown): unknown {
    return { got: body };
  }
}
