import { Controller, Header } from '@nestjs/common';
import type { NextFunction, Request, Response } from 'express';
import { NEVER, of } from 'rxjs';
import { EventStream } from '../../lib/index.js';
import { openRawStream } from '../utils/raw-stream.js';
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

  @EventStream('post', { method: 'POST' })
  post() {
    return of('posted');
  }
}

describe('stream response headers', () => {
  let server: TestApp;

  beforeAll(async () => {
    server = await startApp({ controllers: [HeadersController] }, {}, (app) => {
      app.use((_req: Request, res: Response, next: NextFunction) => {
        res.setHeader('Access-Control-Allow-Origin', 'https://app.example');
        next();
      });
    });
  });
  afterAll(() => server.close());

  it('answers 200 with the event-stream headers and no Content-Length', async () => {
    const stream = await openRawStream(`${server.url}/stream`, { headers: { connection: 'keep-alive' } });
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
    const stream = await openRawStream(`${server.url}/stream`, { headers: { connection: 'close' } });
    await stream.ended;
    expect(stream.status).toBe(200);
    expect(stream.headers['connection']).toBe('close');
  });

  it('keeps the headers the app set: a middleware (CORS) and @Header()', async () => {
    const stream = await openRawStream(`${server.url}/custom-header`);
    await stream.ended;
    expect(stream.headers['access-control-allow-origin']).toBe('https://app.example');
    expect(stream.headers['x-feed']).toBe('prices');
    expect(stream.headers['content-type']).toBe('text/event-stream; charset=utf-8');
  });

  it('starts the body with the retry hint, before any event', async () => {
    const stream = await openRawStream(`${server.url}/stream`);
    await stream.ended;
    expect(stream.text).toBe('retry: 3000\n\ndata: one\n\n');
    expect(stream.retries).toEqual([3000]);
  });

  it('sends the first bytes at once, while the handler has produced nothing yet', async () => {
    const stream = await openRawStream(`${server.url}/idle`);
    expect(stream.status).toBe(200);
    expect(await stream.waitForText((text) => text.includes('\n\n'))).toBe('retry: 3000\n\n');
    stream.close();
  });

  it('uses the retry hint of the route when it sets retryMs', async () => {
    const stream = await openRawStream(`${server.url}/fast-retry`);
    await stream.ended;
    expect(stream.text).toBe('retry: 250\n\ndata: one\n\n');
  });

  it('answers a POST route with a 200 stream, not 201', async () => {
    const stream = await openRawStream(`${server.url}/post`, {
      method: 'POST',
      headers: { 'content-type': 'application/json' },
      body: '{"topics":["a"]}',
    });
    await stream.ended;
    expect(stream.status).toBe(200);
    expect(stream.headers['content-type']).toBe('text/event-stream; charset=utf-8');
    expect(stream.text).toBe('retry: 3000\n\ndata: posted\n\n');
  });
});
