import { Controller, ForbiddenException, type Type } from '@nestjs/common';
import { Test } from '@nestjs/testing';
import { concat, defer, of } from 'rxjs';
import { openEventStream, waitForHub } from 'nestjs-event-stream/testing';
import { EventStream, SseHub, SseModule, type SseModuleOptions } from '../../lib/index.js';
import { CaptureLogger } from '../utils/capture-logger.js';
import { TestEventSource } from '../utils/event-source-client.js';
import { listen, startApp, type TestApp } from '../utils/test-app.js';

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

  @EventStream('route-end-name', { endEventName: 'route-end' })
  routeEndName() {
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

/**
 * Like `startApp()`, with `logs` as the logger from the start: the module's
 * providers are built (and log their startup warnings) while the testing
 * module compiles, before `app.useLogger()` could take over.
 */
async function startLoggedApp(controllers: Type[], options: SseModuleOptions, logs: CaptureLogger): Promise<TestApp> {
  const moduleRef = await Test.createTestingModule({ imports: [SseModule.forRoot(options)], controllers })
    .setLogger(logs)
    .compile();
  const app = moduleRef.createNestApplication({ logger: false, forceCloseConnections: true });
  app.useLogger(logs);
  return listen(app);
}

describe('errors after the stream started', () => {
  describe('with the default final word', () => {
    let server: TestApp;
    const logs = new CaptureLogger();

    beforeAll(async () => {
      // Exact bytes: no jitter on the first retry hint.
      server = await startApp({ controllers: [FailingController] }, { retryJitter: 0 }, (app) => app.useLogger(logs));
    });
    afterAll(() => server.close());

    it('ends the stream with one sanitized final word `error` for a plain Error', async () => {
      const stream = await openEventStream(server.app, `/plain-error`);
      await stream.ended;
      expect(stream.status).toBe(200);
      expect(stream.text).toBe(
        'retry: 3000\n\n' +
          'data: first\n\n' +
          'event: sse-end\ndata: {"reason":"error","status":500,"message":"Internal server error"}\n\n',
      );
      expect(stream.text).not.toContain('hunter2');
    });

    it('logs the real error on the server, naming the stream', async () => {
      logs.clear();
      const stream = await openEventStream(server.app, `/plain-error`);
      await stream.ended;
      const entry = await logs.waitFor('error', 'failed after it started');
      expect(entry.message).toMatch(/^Stream [0-9a-f-]{36} failed after it started/);
    });

    it("sends an HttpException's status and message", async () => {
      const stream = await openEventStream(server.app, `/http-error`);
      await stream.ended;
      expect(stream.events.slice(1).map(({ id, type, data }) => ({ id, event: type, data }))).toEqual([
        { id: undefined, event: 'sse-end', data: '{"reason":"error","status":403,"message":"subscription cancelled"}' },
      ]);
    });

    it('names the final word after the endEventName of the route', async () => {
      const stream = await openEventStream(server.app, `/route-end-name`);
      await stream.ended;
      expect(stream.events.slice(1).map(({ id, type, data }) => ({ id, event: type, data }))).toEqual([
        {
          id: undefined,
          event: 'route-end',
          data: '{"reason":"error","status":500,"message":"Internal server error"}',
        },
      ]);
    });

    it('handles an async generator that throws after yielding', async () => {
      const stream = await openEventStream(server.app, `/generator-error`);
      await stream.ended;
      expect(stream.text).toBe(
        'retry: 3000\n\ndata: first\n\n' +
          'event: sse-end\ndata: {"reason":"error","status":500,"message":"Internal server error"}\n\n',
      );
    });

    it('the eventsource client receives the final word as a named `sse-end` event', async () => {
      const client = new TestEventSource(`${server.url}/http-error`, { types: ['sse-end'] });
      const events = await client.waitForEvents(2);
      client.close();
      expect(events.map(({ type, data }) => ({ type, data }))).toEqual([
        { type: 'message', data: 'first' },
        { type: 'sse-end', data: '{"reason":"error","status":403,"message":"subscription cancelled"}' },
      ]);
    });

    it('keeps the process and the app up: the next request works and no stream is left', async () => {
      const stream = await openEventStream(server.app, `/ok`);
      await stream.ended;
      expect(stream.events.map(({ type, data }) => ({ event: type, data }))).toEqual([
        { event: 'message', data: 'still alive' },
        { event: 'sse-end', data: '{"reason":"completed"}' },
      ]);
      // A 'message' type with no `event:` line: no line could have made it one (`event:`, `event: message`).
      expect(stream.text).not.toMatch(/^event: ?(message)?$/m);
      await waitForHub(server.app.get(SseHub), (h) => h.count() === 0);
    });
  });

  describe('with the deprecated errorEventName set on the module', () => {
    let server: TestApp;
    const logs = new CaptureLogger();

    beforeAll(async () => {
      server = await startLoggedApp([FailingController], { errorEventName: 'oops' }, logs);
    });
    afterAll(() => server.close());

    it('names the final word `error` after it (a route option still wins), with the new data, and warns at startup', async () => {
      expect(logs.messages('warn', 'Option "errorEventName" is deprecated')).toHaveLength(1);

      const stream = await openEventStream(server.app, `/plain-error`);
      await stream.ended;
      expect(stream.events.slice(1).map(({ id, type, data }) => ({ id, event: type, data }))).toEqual([
        { id: undefined, event: 'oops', data: '{"reason":"error","status":500,"message":"Internal server error"}' },
      ]);

      const route = await openEventStream(server.app, `/route-event-name`);
      await route.ended;
      expect(route.events.slice(1).map(({ id, type, data }) => ({ id, event: type, data }))).toEqual([
        {
          id: undefined,
          event: 'route-failure',
          data: '{"reason":"error","status":500,"message":"Internal server error"}',
        },
      ]);
      // The route's own deprecated option is warned about once, when the route first serves a stream.
      expect(logs.messages('warn', 'Option "errorEventName of FailingController.')).toHaveLength(1);

      // It names that one final word only: a stream that completes still ends with `sse-end`.
      const ok = await openEventStream(server.app, `/ok`);
      await ok.ended;
      expect(ok.events.slice(1).map(({ id, type, data }) => ({ id, event: type, data }))).toEqual([
        { id: undefined, event: 'sse-end', data: '{"reason":"completed"}' },
      ]);
    });
  });
});
