import { Body, Controller, Param, Post } from '@nestjs/common';
import { openEventStream } from 'nestjs-event-stream/testing';
import { EventStream, SseClient, SseHub, sseEvent } from '../../lib/index.js';
import { startApp, type TestApp } from '../utils/test-app.js';

@Controller('rooms')
class RoomsController {
  constructor(private readonly hub: SseHub) {}

  @EventStream(':room/events')
  events(@Param('room') room: string, @SseClient() client: SseClient) {
    return this.hub.join(client, [`room:${room}`, 'announcements']);
  }

  @Post(':room/messages')
  async post(@Param('room') room: string, @Body() body: { text: string }) {
    return { id: await this.hub.publish(`room:${room}`, sseEvent({ event: 'message', data: body })) };
  }
}

describe('hub smoke', () => {
  let server: TestApp;
  beforeAll(async () => {
    server = await startApp({ controllers: [RoomsController] });
  });
  afterAll(() => server.close());

  const post = (room: string, text: string) =>
    fetch(`${server.url}/rooms/${room}/messages`, {
      method: 'POST',
      headers: { 'content-type': 'application/json' },
      body: JSON.stringify({ text }),
    }).then((r) => r.json() as Promise<{ id: string }>);

  it('delivers and replays', async () => {
    const a = await openEventStream(server.app, `/rooms/a/events`);
    const first = await post('a', 'one');
    await a.waitForEvents(1);
    a.close();
    await post('a', 'two');
    await post('b', 'other');
    await post('a', 'three');
    const again = await openEventStream(server.app, `/rooms/a/events`, { headers: { 'last-event-id': first.id } });
    const events = await again.waitForEvents(2);
    expect(events.map((e) => JSON.parse(e.data).text)).toEqual(['two', 'three']);
    const bad = await openEventStream(server.app, `/rooms/a/events`, { headers: { 'last-event-id': 'zzz.999999' } });
    const reset = await bad.waitForEvents(1);
    expect(reset[0].type).toBe('sse-reset');
    again.close();
    bad.close();
    const invalid = await openEventStream(server.app, `/rooms/${encodeURIComponent('bad room')}/events`);
    expect(invalid.status).toBe(400);
  });
});
