import { Controller, Get } from '@nestjs/common';
import { Subject } from 'rxjs';
import { openEventStream } from 'nestjs-event-stream/testing';
import { EventStream } from '../../lib/index.js';
import { TestEventSource } from '../utils/event-source-client.js';
import { startApp, useCompression, type TestApp } from '../utils/test-app.js';

let feed = new Subject<string>();

@Controller()
class CompressedController {
  @EventStream('feed')
  feed() {
    return feed;
  }

  @Get('json')
  json() {
    return { text: 'z'.repeat(4096) };
  }
}

describe('behind the compression middleware', () => {
  let server: TestApp;

  beforeAll(async () => {
    // Exact bytes: no jitter on the first retry hint.
    server = await startApp({ controllers: [CompressedController] }, { retryJitter: 0 }, useCompression);
  });
  afterAll(() => server.close());
  beforeEach(() => {
    feed = new Subject<string>();
  });

  it('compresses ordinary routes (the middleware is active)', async () => {
    const response = await openEventStream(server.app, `/json`, { headers: { 'accept-encoding': 'gzip' } });
    await response.ended;
    expect(response.headers['content-encoding']).toBe('gzip');
  });

  it('delivers each event before the next is emitted, uncompressed', async () => {
    const stream = await openEventStream(server.app, `/feed`, { headers: { 'accept-encoding': 'gzip, deflate, br' } });
    expect(stream.headers['content-encoding']).toBeUndefined();
    expect(stream.headers['content-type']).toBe('text/event-stream; charset=utf-8');
    await stream.waitForText((text) => text === 'retry: 3000\n\n');
    for (let i = 1; i <= 3; i++) {
      feed.next(`event ${i}`);
      await stream.waitForEvents(i);
    }
    expect(stream.text).toBe('retry: 3000\n\ndata: event 1\n\ndata: event 2\n\ndata: event 3\n\n');
    stream.close();
  });

  it('the eventsource client (which asks for compression) receives each event before the next is emitted', async () => {
    const client = new TestEventSource(`${server.url}/feed`);
    await client.waitFor((c) => c.opens === 1, 'open');
    feed.next('first');
    await client.waitForEvents(1);
    feed.next('second');
    const events = await client.waitForEvents(2);
    client.close();
    expect(events.map((e) => e.data)).toEqual(['first', 'second']);
  });
});
