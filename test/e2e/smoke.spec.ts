import { Controller } from '@nestjs/common';
import { interval, map, of, take } from 'rxjs';
import { openEventStream } from 'nestjs-event-stream/testing';
import { EventStream, SseClient, sseEvent } from '../../lib/index.js';
import { startApp, type TestApp } from '../utils/test-app.js';
import { TestEventSource } from '../utils/event-source-client.js';

@Controller()
class SmokeController {
  @EventStream('three')
  three() {
    return of(1, sseEvent({ event: 'named', id: 7, data: 'x' }), { a: 1 });
  }

  @EventStream('ticks')
  ticks(@SseClient() client: SseClient) {
    return interval(10).pipe(
      take(3),
      map((n) => ({ n, id: client.id })),
    );
  }
}

describe('smoke', () => {
  let server: TestApp;
  beforeAll(async () => {
    // Exact bytes: no jitter on the first retry hint.
    server = await startApp({ controllers: [SmokeController] }, { retryJitter: 0 });
  });
  afterAll(() => server.close());

  it('streams', async () => {
    const stream = await openEventStream(server.app, `/three`);
    await stream.ended;
    expect(stream.status).toBe(200);
    expect(stream.text).toBe(
      'retry: 3000\n\ndata: 1\n\nevent: named\nid: 7\ndata: x\n\ndata: {"a":1}\n\n' +
        'event: sse-end\ndata: {"reason":"completed"}\n\n',
    );
  });

  it('eventsource', async () => {
    const client = new TestEventSource(`${server.url}/ticks`);
    const events = await client.waitForEvents(3);
    client.close();
    expect(events.map((e) => JSON.parse(e.data).n)).toEqual([0, 1, 2]);
  });
});
