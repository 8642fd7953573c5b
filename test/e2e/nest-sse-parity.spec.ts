import {
  Controller,
  HttpCode,
  Injectable,
  Res,
  Sse,
  SseSignal,
  UseInterceptors,
  type CallHandler,
  type ExecutionContext,
  type MessageEvent,
  type NestInterceptor,
} from '@nestjs/common';
import type { Response } from 'express';
import http from 'node:http';
import { concat, NEVER, Observable, of, throwError } from 'rxjs';
import { openEventStream } from 'nestjs-event-stream/testing';
import { EventStream, sseEvent } from '../../lib/index.js';
import { CaptureLogger } from '../utils/capture-logger.js';
import { TestEventSource } from '../utils/event-source-client.js';
import { startApp, type TestApp } from '../utils/test-app.js';
import { deferred, type Deferred } from '../utils/wait.js';

/** The same values, for Nest's `@Sse()` and for `@EventStream({ messageEvents: true })`. */
const MESSAGES: (MessageEvent | string)[] = [
  { data: 'a' },
  { type: 'tick', data: { n: 1 } },
  { id: 'x7', data: 'b', retry: 500 },
  { data: 'multi\nline\r\nthird' },
  'plain string',
  { type: 'named', data: '' },
  { id: '42', type: 'last', data: { ok: true } },
  { comment: 'with a comment', type: 'commented', data: 'c' },
  null as unknown as MessageEvent,
];

@Injectable()
class Accepted202 implements NestInterceptor {
  intercept(context: ExecutionContext, next: CallHandler) {
    context.switchToHttp().getResponse<Response>().status(202);
    return next.handle();
  }
}

const signals: { aborted: Deferred<string>; signal?: AbortSignal }[] = [];
let headCalls = 0;

@Controller()
class ParityController {
  @Sse('nest')
  nest(): Observable<MessageEvent> {
    return of(...MESSAGES) as Observable<MessageEvent>;
  }

  /** @Sse()'s bytes exactly: no final word (Nest's streams just end) and the retry hint without jitter. */
  @EventStream('ours', { messageEvents: true, endEventName: false, retryJitter: 0 })
  ours() {
    return of(...MESSAGES);
  }

  @EventStream('ours-defaults', { messageEvents: true })
  oursDefaults() {
    return of(...MESSAGES);
  }

  @EventStream('mixed', { messageEvents: true })
  mixed() {
    return of({ type: 'a', data: 1 }, sseEvent({ event: 'envelope', data: 'kept' }), { data: 2 });
  }

  @EventStream('forged-id', { messageEvents: true })
  forgedId() {
    return of({ id: '1\nevent: forged', data: 'evil' }, { type: 'x\r\ndata: forged', data: 'evil' }, { data: 'safe' });
  }

  @EventStream('default-mode')
  defaultMode() {
    return of({ type: 'tick', data: { n: 1 } }, { type: 'tick', data: { n: 2 } });
  }

  @EventStream('default-mode-again')
  defaultModeAgain() {
    return of({ data: 'x', id: '1' });
  }

  @EventStream('explicit-data-mode', { messageEvents: false })
  explicitDataMode() {
    return of({ type: 'tick', data: { n: 1 } });
  }

  @EventStream('http-code')
  @HttpCode(202)
  httpCode() {
    return of('accepted');
  }

  @EventStream('interceptor-status')
  @UseInterceptors(Accepted202)
  interceptorStatus() {
    return of('accepted');
  }

  @EventStream('handler-status')
  handlerStatus(@Res({ passthrough: true }) response: Response) {
    response.status(203);
    return of('set by the handler');
  }

  @EventStream('posted', { method: 'POST' })
  posted() {
    return of('posted');
  }

  @EventStream('head')
  head() {
    headCalls++;
    return of('never for HEAD');
  }

  @EventStream('signal')
  signalRoute(@SseSignal() signal: AbortSignal) {
    const entry = { aborted: deferred<string>(), signal };
    signal?.addEventListener('abort', () => entry.aborted.resolve(String(signal.reason)), { once: true });
    signals.push(entry);
    return concat(of('open'), NEVER);
  }

  @EventStream('signal-completes')
  signalCompletes(@SseSignal() signal: AbortSignal) {
    const entry = { aborted: deferred<string>(), signal };
    signal?.addEventListener('abort', () => entry.aborted.resolve(String(signal.reason)), { once: true });
    signals.push(entry);
    return of('done soon');
  }

  @EventStream('values-then-sync-error')
  valuesThenSyncError() {
    return concat(
      of('first', 'second'),
      throwError(() => new Error('secret detail')),
    );
  }

  @EventStream('sync-error-only')
  syncErrorOnly() {
    return throwError(() => new Error('before anything'));
  }
}

/** The final word of a stream whose source completed. */
const COMPLETED = 'event: sse-end\ndata: {"reason":"completed"}\n\n';

/** The event frames of a stream: Nest's starts with a blank line, ours with a `retry:` block. */
function eventFrames(text: string): string {
  return text.replace(/^\n/, '').replace(/^retry: \d+\n\n/, '');
}

function head(url: string): Promise<{ status: number; headers: http.IncomingHttpHeaders; body: string }> {
  return new Promise((resolve, reject) => {
    const request = http.request(url, { method: 'HEAD', agent: false }, (response) => {
      let body = '';
      response.on('data', (chunk: Buffer) => (body += chunk.toString()));
      response.on('end', () => resolve({ status: response.statusCode ?? 0, headers: response.headers, body }));
    });
    request.on('error', reject);
    request.end();
  });
}

describe("drop-in from Nest's @Sse()", () => {
  let server: TestApp;
  const logs = new CaptureLogger();

  beforeAll(async () => {
    server = await startApp({ controllers: [ParityController] }, {}, (app) => app.useLogger(logs));
  });
  afterAll(() => server.close());

  describe('messageEvents: true', () => {
    it("writes Nest's MessageEvent values byte for byte as @Sse() does", async () => {
      const nest = await openEventStream(server.app, `/nest`);
      const ours = await openEventStream(server.app, `/ours`);
      await Promise.all([nest.ended, ours.ended]);
      expect(ours.status).toBe(200);
      // Nest's blank first line is our retry hint; every byte after it is the same.
      expect(nest.text.startsWith('\n')).toBe(true);
      expect(ours.text).toBe('retry: 3000\n\n' + eventFrames(nest.text));
      expect(eventFrames(ours.text)).toBe(
        'id: 1\ndata: a\n\n' +
          'event: tick\nid: 2\ndata: {"n":1}\n\n' +
          'id: x7\nretry: 500\ndata: b\n\n' +
          'id: 3\ndata: multi\ndata: line\ndata: third\n\n' +
          'id: 4\ndata: plain string\n\n' +
          'event: named\nid: 5\ndata: \n\n' +
          'event: last\nid: 42\ndata: {"ok":true}\n\n' +
          'event: commented\nid: 6\n: with a comment\ndata: c\n\n' +
          'id: 7\n\n',
      );
    });

    it('with the default options, sends the @Sse() bytes plus the final word, after a jittered retry hint', async () => {
      const nest = await openEventStream(server.app, `/nest`);
      const ours = await openEventStream(server.app, `/ours-defaults`);
      await Promise.all([nest.ended, ours.ended]);
      expect(ours.status).toBe(200);
      // The first hint is retryMs 3000 ± retryJitter 0.2, random by design; the second is the `retry: 500` of a message.
      expect(ours.retries).toEqual([expect.any(Number), 500]);
      expect(ours.retries[0]).toBeGreaterThanOrEqual(2400);
      expect(ours.retries[0]).toBeLessThanOrEqual(3600);
      expect(ours.text).toBe(`retry: ${ours.retries[0]}\n\n` + eventFrames(nest.text) + COMPLETED);
    });

    it('gives a real client the event names, ids and data that @Sse() gives it', async () => {
      const client = new TestEventSource(`${server.url}/ours`, { types: ['tick', 'named', 'last', 'commented'] });
      try {
        await client.waitFor((c) => c.events.length >= MESSAGES.length - 2, 'every event');
        expect(client.events.slice(0, MESSAGES.length - 2)).toEqual([
          { type: 'message', data: 'a', lastEventId: '1' },
          { type: 'tick', data: '{"n":1}', lastEventId: '2' },
          { type: 'message', data: 'b', lastEventId: 'x7' },
          { type: 'message', data: 'multi\nline\nthird', lastEventId: '3' },
          { type: 'message', data: 'plain string', lastEventId: '4' },
          { type: 'named', data: '', lastEventId: '5' },
          { type: 'last', data: '{"ok":true}', lastEventId: '42' },
        ]);
        // The comment is ignored and the event dispatched; the id-only block moves the id without an event.
        await client.waitFor((c) => c.events.length >= MESSAGES.length - 1, 'the commented event');
        expect(client.events[MESSAGES.length - 2]).toEqual({ type: 'commented', data: 'c', lastEventId: '6' });
      } finally {
        client.source.close();
      }
    });

    it('still takes sseEvent() envelopes as they are', async () => {
      const stream = await openEventStream(server.app, `/mixed`);
      await stream.ended;
      expect(eventFrames(stream.text)).toBe(
        'event: a\nid: 1\ndata: 1\n\n' + 'event: envelope\ndata: kept\n\n' + 'id: 2\ndata: 2\n\n' + COMPLETED,
      );
    });

    it('refuses an id or type with a line break instead of stripping it, and goes on', async () => {
      const stream = await openEventStream(server.app, `/forged-id`);
      await stream.ended;
      // Numbered as @Sse() numbers them: the refused value without an id took 1.
      expect(eventFrames(stream.text)).toBe('id: 2\ndata: safe\n\n' + COMPLETED);
      expect(stream.text).not.toContain('forged');
      expect(logs.messages('warn', 'a value was not written')).toEqual(
        expect.arrayContaining([expect.stringContaining('SSE event id'), expect.stringContaining('SSE event name')]),
      );
    });
  });

  describe('the default mode', () => {
    it('writes MessageEvent-shaped values as data and warns once for the route, naming the option', async () => {
      for (let i = 0; i < 2; i++) {
        const stream = await openEventStream(server.app, `/default-mode`);
        await stream.ended;
        expect(stream.events.map((e) => e.data)).toEqual([
          '{"type":"tick","data":{"n":1}}',
          '{"type":"tick","data":{"n":2}}',
          '{"reason":"completed"}',
        ]);
      }
      const warnings = logs.messages('warn', 'ParityController.defaultMode emitted a value shaped like');
      expect(warnings).toHaveLength(1);
      expect(warnings[0]).toContain('messageEvents: true');
    });

    it('warns for each route on its own', async () => {
      await (
        await openEventStream(server.app, `/default-mode-again`)
      ).ended;
      expect(logs.messages('warn', 'ParityController.defaultModeAgain emitted')).toHaveLength(1);
    });

    it('does not warn when messageEvents is false', async () => {
      const stream = await openEventStream(server.app, `/explicit-data-mode`);
      await stream.ended;
      expect(stream.events.map((e) => e.data)).toEqual(['{"type":"tick","data":{"n":1}}', '{"reason":"completed"}']);
      expect(logs.messages('warn', 'ParityController.explicitDataMode')).toEqual([]);
    });
  });

  describe('status', () => {
    it('sends the status of @HttpCode()', async () => {
      const stream = await openEventStream(server.app, `/http-code`);
      expect(stream.status).toBe(202);
      expect(stream.headers['content-type']).toBe('text/event-stream; charset=utf-8');
      await stream.waitForEvents(1);
    });

    it('sends a status an interceptor set', async () => {
      const stream = await openEventStream(server.app, `/interceptor-status`);
      expect(stream.status).toBe(202);
      expect((await stream.waitForEvents(1))[0].data).toBe('accepted');
    });

    it('sends a status the handler set', async () => {
      const stream = await openEventStream(server.app, `/handler-status`);
      expect(stream.status).toBe(203);
      expect((await stream.waitForEvents(1))[0].data).toBe('set by the handler');
    });

    it("answers 200, not Nest's 201, on a POST stream without a status of its own", async () => {
      const stream = await openEventStream(server.app, `/posted`, { method: 'POST' });
      expect(stream.status).toBe(200);
      expect((await stream.waitForEvents(1))[0].data).toBe('posted');
    });
  });

  describe('HEAD', () => {
    it("answers the stream's headers and ends at once, without running the handler", async () => {
      headCalls = 0;
      const answer = await head(`${server.url}/head`);
      expect(answer.status).toBe(200);
      expect(answer.headers['content-type']).toBe('text/event-stream; charset=utf-8');
      expect(answer.headers['cache-control']).toBe('no-cache, no-transform');
      expect(answer.body).toBe('');
      expect(headCalls).toBe(0);
    });
  });

  describe('@SseSignal()', () => {
    it('injects an AbortSignal that aborts when the client disconnects', async () => {
      const before = signals.length;
      const stream = await openEventStream(server.app, `/signal`);
      await stream.waitForEvents(1);
      const entry = signals[before];
      expect(entry.signal).toBeInstanceOf(AbortSignal);
      expect(entry.signal?.aborted).toBe(false);
      stream.close();
      expect(await entry.aborted.promise).toBe('client-closed');
    });

    it('aborts when the stream completes', async () => {
      const before = signals.length;
      const stream = await openEventStream(server.app, `/signal-completes`);
      await stream.ended;
      expect(await signals[before].aborted.promise).toBe('completed');
    });
  });

  describe('values, then an error', () => {
    it('delivers the values a source emitted before it failed synchronously, then the sanitized final word error', async () => {
      const stream = await openEventStream(server.app, `/values-then-sync-error`);
      expect(stream.status).toBe(200);
      await stream.ended;
      expect(stream.events.map((e) => [e.type, e.data])).toEqual([
        ['message', 'first'],
        ['message', 'second'],
        ['sse-end', '{"reason":"error","status":500,"message":"Internal server error"}'],
      ]);
      // A 'message' type with no `event:` line: no line could have made it one (`event:`, `event: message`).
      expect(stream.text).not.toMatch(/^event: ?(message)?$/m);
      expect(stream.text).not.toContain('secret detail');
    });

    it('still answers an HTTP error when the source fails before any value', async () => {
      const stream = await openEventStream(server.app, `/sync-error-only`);
      await stream.ended;
      expect(stream.status).toBe(500);
      expect(stream.text).not.toContain('before anything');
    });
  });
});
