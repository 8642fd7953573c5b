import { Controller, Header } from '@nestjs/common';
import type { IncomingMessage, ServerResponse } from 'node:http';
import { EMPTY, interval, of, Subject, take } from 'rxjs';
import { openEventStream, waitForHub } from 'nestjs-event-stream/testing';
import { EventStream, SseClient, SseHub } from '../../lib/index.js';
import { TestEventSource } from '../utils/event-source-client.js';
import { startApp, type TestApp } from '../utils/test-app.js';
import { deferred, type Deferred } from '../utils/wait.js';

const state: { generatorDone: Deferred<string>; subject: Subject<string> } = {
  generatorDone: deferred(),
  subject: new Subject(),
};

@Controller()
class CompletionController {
  @EventStream('complete')
  complete() {
    return of('a', 'b');
  }

  @EventStream('complete-async')
  completeAsync() {
    return interval(1).pipe(take(3));
  }

  @EventStream('empty')
  empty() {
    return EMPTY;
  }

  @EventStream('null')
  returnsNull() {
    return null;
  }

  @EventStream('undefined')
  @Header('X-Kept', 'yes')
  returnsUndefined() {
    return undefined;
  }

  @EventStream('promise-null')
  async promiseNull() {
    return null;
  }

  @EventStream('promise-observable')
  async promiseObservable() {
    await Promise.resolve();
    return of('from', 'promise');
  }

  @EventStream('promise-subject')
  promiseSubject() {
    return Promise.resolve(state.subject.asObservable());
  }

  @EventStream('generator')
  async *generator() {
    yield 'one';
    yield { two: 2 };
    yield 'three';
  }

  @EventStream('endless-generator')
  async *endlessGenerator(@SseClient() client: SseClient) {
    try {
      for (let n = 0; ; n++) {
        yield n;
        // Produce at the pace of a real source; the test waits on events, not on this.
        await new Promise((resolve) => setTimeout(resolve, 5));
      }
    } finally {
      state.generatorDone.resolve(client.signal.aborted ? 'aborted' : 'not aborted');
    }
  }
}

describe('completion, 204 and handler result kinds', () => {
  let server: TestApp;
  let hub: SseHub;
  const requests: Record<string, number> = {};

  beforeAll(async () => {
    // Exact bytes: no jitter on the first retry hint.
    server = await startApp({ controllers: [CompletionController] }, { retryJitter: 0 }, (app) => {
      // Node's own request and response: what a middleware gets on every platform.
      app.use((req: IncomingMessage, _res: ServerResponse, next: () => void) => {
        const path = req.url!.split('?')[0];
        requests[path] = (requests[path] ?? 0) + 1;
        next();
      });
    });
    hub = server.app.get(SseHub);
  });
  afterAll(() => server.close());

  it('ends the stream cleanly, with the final word completed, when the Observable completes', async () => {
    const stream = await openEventStream(server.app, `/complete`);
    await stream.ended;
    expect(stream.status).toBe(200);
    expect(stream.text).toBe('retry: 3000\n\ndata: a\n\ndata: b\n\nevent: sse-end\ndata: {"reason":"completed"}\n\n');
  });

  it('ends the stream cleanly when an asynchronous Observable completes', async () => {
    const stream = await openEventStream(server.app, `/complete-async`);
    await stream.ended;
    expect(stream.text).toBe(
      'retry: 3000\n\ndata: 0\n\ndata: 1\n\ndata: 2\n\nevent: sse-end\ndata: {"reason":"completed"}\n\n',
    );
    await waitForHub(hub, (h) => h.count() === 0);
  });

  it('opens and ends a stream for an empty Observable', async () => {
    const stream = await openEventStream(server.app, `/empty`);
    await stream.ended;
    expect(stream.status).toBe(200);
    expect(stream.text).toBe('retry: 3000\n\nevent: sse-end\ndata: {"reason":"completed"}\n\n');
  });

  it.each(['null', 'undefined', 'promise-null'])(
    'answers 204 with an empty body when the handler returns %s',
    async (route) => {
      const stream = await openEventStream(server.app, `/${route}`);
      await stream.ended;
      expect(stream.status).toBe(204);
      expect(stream.text).toBe('');
      expect(stream.headers['content-type']).toBeUndefined();
    },
  );

  it('keeps the headers the app set on a 204', async () => {
    const stream = await openEventStream(server.app, `/undefined`);
    await stream.ended;
    expect(stream.headers['x-kept']).toBe('yes');
  });

  it('the eventsource client stops for good on a 204: CLOSED, one request, no reconnect', async () => {
    requests['/null'] = 0;
    const client = new TestEventSource(`${server.url}/null`);
    await expect(client.waitFor(() => false)).rejects.toThrow('EventSource closed');
    expect(client.source.readyState).toBe(2);
    expect(client.errors).toEqual([expect.objectContaining({ code: 204 })]);
    expect(client.opens).toBe(0);
    expect(requests['/null']).toBe(1);
  });

  it('streams an Observable returned through a Promise', async () => {
    const stream = await openEventStream(server.app, `/promise-observable`);
    await stream.ended;
    expect(stream.text).toBe(
      'retry: 3000\n\ndata: from\n\ndata: promise\n\nevent: sse-end\ndata: {"reason":"completed"}\n\n',
    );
  });

  it('streams a Promise<Observable> live, event by event', async () => {
    const client = new TestEventSource(`${server.url}/promise-subject`);
    await client.waitFor((c) => c.opens === 1, 'open');
    state.subject.next('live 1');
    await client.waitForEvents(1);
    state.subject.next('live 2');
    const events = await client.waitForEvents(2);
    client.close();
    expect(events.map((e) => e.data)).toEqual(['live 1', 'live 2']);
  });

  it('streams an async generator and ends when it returns', async () => {
    const stream = await openEventStream(server.app, `/generator`);
    await stream.ended;
    expect(stream.text).toBe(
      'retry: 3000\n\ndata: one\n\ndata: {"two":2}\n\ndata: three\n\nevent: sse-end\ndata: {"reason":"completed"}\n\n',
    );
  });

  it("runs the async generator's finally block when the client disconnects", async () => {
    state.generatorDone = deferred();
    const stream = await openEventStream(server.app, `/endless-generator`);
    await stream.waitForEvents(3);
    expect(state.generatorDone.settled).toBe(false);
    stream.close();
    expect(await state.generatorDone.promise).toBe('aborted');
    await waitForHub(hub, (h) => h.count() === 0);
  });
});
