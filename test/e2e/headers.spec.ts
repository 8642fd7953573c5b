import { Controller, Header } from '@nestjs/common';
import type { NextFunction, Request, Response } from 'express';
import { NEVER, of } from 'rxjs';
import { openEventStream } from 'nestjs-event-stream/testing';
import { EventStream } from '../../lib/index.js';
import { startApp, type TestApp } from '../utils/test-app.js';

@Controller()
class HeadersController {
  @EventStream('stream')
  stream() {
    return of('one');
  }

  @EventStream('idle')
  idle() {
    return NEVER;
  }

  @EventStream('custom-header')
  @Header('X-Feed', 'prices')
  customHeader() {
    return of('one');
  }

  @EventStream('fast-retry', { retryMs: 250 })
  fastRetry() {
    return of('one');
  }

  @EventStream('jittered', { retryJitter: 0.2 })
  jittered() {
    return of('one');
  }

  @EventStream('post', { method: 'POST' })
  post() {
    return of('posted');
  }
}

/** The final word of a stream whose source completed. */
const COMPLETED = 'event: sse-end\ndata: {"reason":"completed"}\n\n';

describe('stream response headers', () => {
  let server: TestApp;

  beforeAll(async () => {
    // Exact bytes: no jitter on the first retry hint (but on the route that sets it).
    server = await startApp({ controllers: [HeadersController] }, { retryJitter: 0 }, (app) => {
      app.use((_req: Request, res: Response, next: NextFunction) => {
        res.setHeader('Access-Control-Allow-Origin', 'https://app.example');
        next();
      });
    });
  });
  afterAll(() => server.close());

  it('answers 200 with the event-stream headers and no Content-Length', async () => {
    const stream = await openEventStream(server.app, `/stream`, { headers: { connection: 'keep-alive' } });
    await stream.ended;
    expect(stream.status).toBe(200);
    expect(stream.headers['content-type']).toBe('text/event-stream; charset=utf-8');
    expect(stream.headers['cache-control']).toBe('no-cache, no-transform');
    expect(stream.headers['x-accel-buffering']).toBe('no');
    expect(stream.headers['connection']).toBe('keep-alive');
    expect(stream.headers['content-length']).toBeUndefined();
    expect(stream.headers['transfer-encoding']).toBe('chunked');
  });

  it('does not promise keep-alive to a client that asked to close the connection', async () => {
    const stream = await openEventStream(server.app, `/stream`, { headers: { connection: 'close' } });
    await stream.ended;
    expect(stream.status).toBe(200);
    expect(stream.headers['connection']).toBe('close');
  });

  it('keeps the headers the app set: a middleware (CORS) and @Header()', async () => {
    const stream = await openEventStream(server.app, `/custom-header`);
    await stream.ended;
    expect(stream.headers['access-control-allow-origin']).toBe('https://app.example');
    expect(stream.headers['x-feed']).toBe('prices');
    expect(stream.headers['content-type']).toBe('text/event-stream; charset=utf-8');
  });

  it('starts the body with the retry hint, before any event', async () => {
    const stream = await openEventStream(server.app, `/stream`);
    await stream.ended;
    expect(stream.text).toBe('retry: 3000\n\ndata: one\n\n' + COMPLETED);
    expect(stream.retries).toEqual([3000]);
  });

  it('sends the first bytes at once, while the handler has produced nothing yet', async () => {
    const stream = await openEventStream(server.app, `/idle`);
    expect(stream.status).toBe(200);
    expect(await stream.waitForText((text) => text.includes('\n\n'))).toBe('retry: 3000\n\n');
    stream.close();
  });

  it('uses the retry hint of the route when it sets retryMs', async () => {
    const stream = await openEventStream(server.app, `/fast-retry`);
    await stream.ended;
    expect(stream.text).toBe('retry: 250\n\ndata: one\n\n' + COMPLETED);
  });

  it('spreads the first retry hint of each stream over retryMs ± retryJitter', async () => {
    const retries: number[] = [];
    for (let i = 0; i < 20; i++) {
      const stream = await openEventStream(server.app, `/jittered`);
      await stream.ended;
      expect(stream.retries).toHaveLength(1);
      expect(stream.text).toBe(`retry: ${stream.retries[0]}\n\ndata: one\n\n` + COMPLETED);
      retries.push(stream.retries[0]);
    }
    for (const retry of retries) {
      expect(Number.isInteger(retry)).toBe(true);
      expect(retry).toBeGreaterThanOrEqual(2400);
      expect(retry).toBeLessThanOrEqual(3600);
    }
    // Random per connection: 20 streams do not all get one value.
    expect(new Set(retries).size).toBeGreaterThan(1);
  });

  it('answers a POST route with a 200 stream, not 201', async () => {
    const stream = await openEventStream(server.app, `/post`, {
      method: 'POST',
      headers: { 'content-type': 'application/json' },
      body: '{"topics":["a"]}',
    });
    await stream.ended;
    expect(stream.status).toBe(200);
    expect(stream.headers['content-type']).toBe('text/event-stream; charset=utf-8');
    expect(stream.text).toBe('retry: 3000\n\ndata: posted\n\n' + COMPLETED);
  });
});
