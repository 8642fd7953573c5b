import { Controller } from '@nestjs/common';
import { concat, defer, NEVER, of } from 'rxjs';
import { openEventStream } from 'nestjs-event-stream/testing';
import { EventStream, sseEvent } from '../../lib/index.js';
import { CaptureLogger } from '../utils/capture-logger.js';
import { TestEventSource } from '../utils/event-source-client.js';
import { startApp, type TestApp } from '../utils/test-app.js';

const FORGED_NAME = 'x\n\ndata: forged';
const FORGED_ID = '1\n\ndata: forged';

/** Emits after the stream has opened (a resolved promise, not a timer). */
const later = <T>(value: T) => defer(async () => value);

@Controller()
class FramingController {
  @EventStream('multiline')
  multiline() {
    return concat(of('a\nb', 'c\r\nd', 'e\rf', 'mixed\r\n\r\n\rend', 'x\n\ndata: forged'), NEVER);
  }

  @EventStream('falsy')
  falsy() {
    return concat(of(0, false, '', null, sseEvent({ id: 0, data: 0 }), sseEvent({ event: 'named', data: '' })), NEVER);
  }

  @EventStream('hostile')
  hostile() {
    return concat(
      of('before'),
      of(sseEvent({ event: FORGED_NAME, data: 'y' }), sseEvent({ id: FORGED_ID, data: 'z' })),
      later(sseEvent({ event: FORGED_NAME, data: 'late' })),
      later(sseEvent({ id: Object.create(null) as never, data: 'an id with no text form' })),
      later('after'),
      NEVER,
    );
  }

  @EventStream('hostile-end', { onFrameError: 'end' })
  hostileEnd() {
    return concat(of('before'), later(sseEvent({ id: FORGED_ID, data: 'z' })), later('after'), NEVER);
  }

  @EventStream('hostile-end-sync', { onFrameError: 'end' })
  hostileEndSync() {
    return concat(of('before', sseEvent({ event: FORGED_NAME, data: 'z' }), 'after'), NEVER);
  }
}

describe('event framing on the wire', () => {
  let server: TestApp;
  const logs = new CaptureLogger();

  beforeAll(async () => {
    // Exact bytes: no jitter on the first retry hint.
    server = await startApp({ controllers: [FramingController] }, { retryJitter: 0 }, (app) => app.useLogger(logs));
  });
  afterAll(() => server.close());

  describe('raw bytes', () => {
    it('splits multi-line data into data lines, with LF only', async () => {
      const stream = await openEventStream(server.app, `/multiline`);
      await stream.waitForEvents(5);
      stream.close();
      expect(stream.text).toBe(
        'retry: 3000\n\n' +
          'data: a\ndata: b\n\n' +
          'data: c\ndata: d\n\n' +
          'data: e\ndata: f\n\n' +
          'data: mixed\ndata: \ndata: \ndata: end\n\n' +
          'data: x\ndata: \ndata: data: forged\n\n',
      );
      expect(stream.events.map((e) => e.data)).toEqual(['a\nb', 'c\nd', 'e\nf', 'mixed\n\n\nend', 'x\n\ndata: forged']);
    });

    it('writes falsy values: 0, false, empty string, null, id 0', async () => {
      const stream = await openEventStream(server.app, `/falsy`);
      await stream.waitForEvents(6);
      stream.close();
      expect(stream.text).toBe(
        'retry: 3000\n\n' +
          'data: 0\n\n' +
          'data: false\n\n' +
          'data: \n\n' +
          'data: null\n\n' +
          'id: 0\ndata: 0\n\n' +
          'event: named\ndata: \n\n',
      );
    });

    it('writes nothing of an event whose name or id would forge another, and goes on', async () => {
      const stream = await openEventStream(server.app, `/hostile`);
      await stream.waitForEvents(2);
      stream.close();
      expect(stream.text).toBe('retry: 3000\n\ndata: before\n\ndata: after\n\n');
    });
  });

  describe('the eventsource client', () => {
    it('receives multi-line data joined with LF', async () => {
      const client = new TestEventSource(`${server.url}/multiline`);
      const events = await client.waitForEvents(5);
      client.close();
      expect(events.map((e) => e.data)).toEqual(['a\nb', 'c\nd', 'e\nf', 'mixed\n\n\nend', 'x\n\ndata: forged']);
    });

    it('receives every falsy value, and id 0 as the last event id', async () => {
      const client = new TestEventSource(`${server.url}/falsy`, { types: ['named'] });
      const events = await client.waitForEvents(6);
      client.close();
      expect(events.map(({ type, data }) => ({ type, data }))).toEqual([
        { type: 'message', data: '0' },
        { type: 'message', data: 'false' },
        { type: 'message', data: '' },
        { type: 'message', data: 'null' },
        { type: 'message', data: '0' },
        { type: 'named', data: '' },
      ]);
      expect(events[4].lastEventId).toBe('0');
    });

    it('sees nothing forged from a hostile event name or id, and the stream goes on with a warning logged for each', async () => {
      logs.clear();
      const client = new TestEventSource(`${server.url}/hostile`, { types: ['x', 'forged'] });
      const events = await client.waitForEvents(2);
      client.close();
      expect(events).toEqual([
        { type: 'message', data: 'before', lastEventId: '' },
        { type: 'message', data: 'after', lastEventId: '' },
      ]);
      expect(client.errors).toEqual([]);
      const warnings = logs.messages('warn', 'a value was not written');
      expect(warnings).toHaveLength(4);
      expect(warnings[0]).toMatch(/^Stream [0-9a-f-]{36}: a value was not written: SSE event name/);
      expect(warnings[1]).toContain('SSE event id');
    });
  });

  describe("onFrameError: 'end'", () => {
    it('ends the stream at the first value that cannot be framed, after what came before, with the final word error', async () => {
      const stream = await openEventStream(server.app, `/hostile-end`);
      await stream.ended;
      expect(stream.status).toBe(200);
      expect(stream.text).toBe(
        'retry: 3000\n\ndata: before\n\n' +
          'event: sse-end\ndata: {"reason":"error","status":500,"message":"Internal server error"}\n\n',
      );
    });

    it('also when that value comes before the stream has opened: still a stream, with what came before', async () => {
      const stream = await openEventStream(server.app, `/hostile-end-sync`);
      await stream.ended;
      expect(stream.status).toBe(200);
      expect(stream.headers['content-type']).toBe('text/event-stream; charset=utf-8');
      expect(stream.text).toBe(
        'retry: 3000\n\ndata: before\n\n' +
          'event: sse-end\ndata: {"reason":"error","status":500,"message":"Internal server error"}\n\n',
      );
    });
  });
});
