import { Controller, ForbiddenException } from '@nestjs/common';
import { concat, defer, of } from 'rxjs';
import { EventStream, SseHub } from '../../lib/index.js';
import { CaptureLogger } from '../utils/capture-logger.js';
import { TestEventSource } from '../utils/event-source-client.js';
import { openRawStream } from '../utils/raw-stream.js';
import { startApp, type TestApp } from '../utils/test-app.js';
import { waitForHub } from '../utils/wait.js';

/** Fails after the stream has opened (a rejected promise, not a timer). */
const failLater = (error: unknown) =>
  defer(async () => {
    throw error;
  });

@Controller()
class FailingController {
  @EventStream('plain-error')
  plainError() {
    return concat(of('first'), failLater(new Error('password=hunter2 leaked')));
  }

  @EventStream('http-error')
  httpError() {
    return concat(of('first'), failLater(new ForbiddenException('subscription cancelled')));
  }

  @EventStream('route-event-name', { errorEventName: 'route-failure' })
  routeEventName() {
    return concat(of('first'), failLater(new Error('x')));
  }

  @EventStream('generator-error')
  async *generatorError() {
    yield 'first';
    throw new Error('generator secret');
  }

  @EventStream('ok')
  ok() {
    return of('still alive');
  }
}

describe('errors after the stream started', () => {
  describe('with the default error event', () => {
    let server: TestApp;
    const logs = new CaptureLogger();

    beforeAll(async () => {
      server = await startApp({ controllers: [FailingController] }, {}, (app) => app.useLogger(logs));
    });
    afterAll(() => server.close());

    it('sends one sanitized `stream-error` event for a plain Error, then ends the stream', async () => {
      const stream = await openRawStream(`${server.url}/plain-error`);
      await stream.ended;
      expect(stream.status).toBe(200);
      expect(stream.text).toBe(
        'retry: 3000\n\n' +
          'data: first\n\n' +
          'event: stream-error\ndata: {"status":500,"message":"Internal server error"}\n\n',
      );
      expect(stream.text).not.toContain('hunter2');
    });

    it('logs the real error on the server, naming the stream', async () => {
      logs.clear();
      const stream = await openRawStream(`${server.url}/plain-error`);
      await stream.ended;
      const entry = await logs.waitFor('error', 'failed after it started');
      expect(entry.message).toMatch(/^Stream [0-9a-f-]{36} failed after it started/);
    });

    it("sends an HttpException's status and message", async () => {
      const stream = await openRawStream(`${server.url}/http-error`);
      await stream.ended;
      expect(stream.events.slice(1)).toEqual([
        { id: undefined, event: 'stream-error', data: '{"status":403,"message":"subscription cancelled"}' },
      ]);
    });

    it('uses the errorEventName of the route', async () => {
      const stream = await openRawStream(`${server.url}/route-event-name`);
      await stream.ended;
      expect(stream.events.map((e) => e.event)).toEqual([undefined, 'route-failure']);
    });

    it('handles an async generator that throws after yielding', async () => {
      const stream = await openRawStream(`${server.url}/generator-error`);
      await stream.ended;
      expect(stream.text).toBe(
        'retry: 3000\n\ndata: first\n\nevent: stream-error\ndata: {"status":500,"message":"Internal server error"}\n\n',
      );
    });

    it('the eventsource client receives the error event as a named event', async () => {
      const client = new TestEventSource(`${server.url}/http-error`, { types: ['stream-error'] });
      const events = await client.waitForEvents(2);
      client.close();
      expect(events.map(({ type, data }) => ({ type, data }))).toEqual([
        { type: 'message', data: 'first' },
        { type: 'stream-error', data: '{"status":403,"message":"subscription cancelled"}' },
      ]);
    });

    it('keeps the process and the app up: the next request works and no stream is left', async () => {
      const stream = await openRawStream(`${server.url}/ok`);
      await stream.ended;
      expect(stream.events.map((e) => e.data)).toEqual(['still alive']);
      await waitForHub(server.app.get(SseHub), (h) => h.count() === 0);
    });
  });

  describe('with errorEventName set on the module', () => {
    let server: TestApp;

    beforeAll(async () => {
      server = await startApp({ controllers: [FailingController] }, { errorEventName: 'oops' });
    });
    afterAll(() => server.close());

    it('names the error event after the module option, and a route option still wins', async () => {
      const stream = await openRawStream(`${server.url}/plain-error`);
      await stream.ended;
      expect(stream.events.map((e) => e.event)).toEqual([undefined, 'oops']);

      const route = await openRawStream(`${server.url}/route-event-name`);
      await route.ended;
      expect(route.events.map((e) => e.event)).toEqual([undefined, 'route-failure']);
    });
  });
});
