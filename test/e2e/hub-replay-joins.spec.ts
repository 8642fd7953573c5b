import { Controller } from '@nestjs/common';
import { merge } from 'rxjs';
import { openEventStream } from 'nestjs-event-stream/testing';
import { EventStream, SseClient, SseHub } from '../../lib/index.js';
import { startApp, type TestApp } from '../utils/test-app.js';

@Controller()
class TwoJoinsController {
  constructor(private readonly hub: SseHub) {}

  /** One stream, two joins made together (as a handler merging a user channel and a room). */
  @EventStream('two-joins')
  twoJoins(@SseClient() client: SseClient) {
    return merge(this.hub.join(client, 'a'), this.hub.join(client, 'b'));
  }
}

describe('SseHub replay through two joins of one stream', () => {
  let server: TestApp;
  let hub: SseHub;

  beforeAll(async () => {
    server = await startApp({ controllers: [TwoJoinsController] });
    hub = server.app.get(SseHub);
  });
  afterAll(() => server.close());

  it('replays the missed events of both channels together, in order, once each', async () => {
    const seen = await hub.publish('a', 'seen');
    const missed = [
      await hub.publish('a', 'a1'),
      await hub.publish('b', 'b1'),
      await hub.publish('a', 'a2'),
      await hub.publish('b', 'b2'),
    ];
    const stream = await openEventStream(server.app, `/two-joins`, { headers: { 'Last-Event-ID': seen } });
    const replayed = await stream.waitForEvents(4);
    expect(replayed.map((event) => [event.id, event.data])).toEqual([
      [missed[0], 'a1'],
      [missed[1], 'b1'],
      [missed[2], 'a2'],
      [missed[3], 'b2'],
    ]);
    const live = await hub.publish('b', 'live');
    expect((await stream.waitForEvents(5))[4].id).toBe(live);
    expect(stream.events).toHaveLength(5);
    stream.close();
  });
});
