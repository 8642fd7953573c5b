import {
  Controller,
  ForbiddenException,
  Get,
  Header,
  Injectable,
  UseGuards,
  type CanActivate,
  type INestApplication,
} from '@nestjs/common';
import type { NestFastifyApplication } from '@nestjs/platform-fastify';
import { Test } from '@nestjs/testing';
import { NEVER, of, startWith, throwError } from 'rxjs';
import { openEventStream, waitForHub } from 'nestjs-event-stream/testing';
import { EventStream, SseHub, SseModule } from '../../lib/index.js';
import { createTestApplication, listen, type TestApp, type TestPlatform } from '../utils/test-app.js';

@Injectable()
class RefuseGuard implements CanActivate {
  canActivate(): boolean {
    throw new ForbiddenException('not for you');
  }
}

@Controller()
class ReplyController {
  @EventStream('short')
  short() {
    return of('a', 'b');
  }

  @EventStream('live')
  @Header('X-Feed', 'prices')
  live() {
    return NEVER.pipe(startWith('hello'));
  }

  @EventStream('none')
  none() {
    return null;
  }

  @EventStream('refused')
  @UseGuards(RefuseGuard)
  refused() {
    return of('never');
  }

  @EventStream('failing')
  failing() {
    return throwError(() => new ForbiddenException('failed before the stream'));
  }

  @Get('plain')
  plain() {
    return { ok: true };
  }
}

/** One line of Fastify's (pino) log. */
interface LogLine {
  level: number;
  msg?: string;
  err?: { message?: string };
}

/** Pino's level for `warn`: anything at or above it is a warning or an error. */
const WARN = 40;

describe.each<TestPlatform>(['fastify', 'fastify-h2c'])('on Fastify (%s), the reply around a stream', (platform) => {
  let server: TestApp;
  let app: INestApplication;
  const logs: LogLine[] = [];

  beforeAll(async () => {
    const moduleRef = await Test.createTestingModule({
      imports: [SseModule.forRoot({ heartbeatMs: 0 })],
      controllers: [ReplyController],
      providers: [RefuseGuard],
    }).compile();
    app = await createTestApplication(moduleRef, { logger: false }, platform, {
      logger: { level: 'debug', stream: { write: (line: string) => logs.push(JSON.parse(line) as LogLine) } },
    });
    // A header set on the reply by a Fastify hook, as @fastify/cors or helmet-style plugins do.
    (app as NestFastifyApplication)
      .getHttpAdapter()
      .getInstance()
      .addHook('onRequest', (_request, reply, done) => {
        reply.header('x-from-hook', 'yes');
        done();
      });
    server = await listen(app);
  });
  afterAll(() => server.close());

  it('sends the headers set on the reply (hooks, @Header()) with the stream, and Fastify writes nothing after it', async () => {
    const stream = await openEventStream(server.app, `/live`);
    await stream.waitForEvents(1);
    expect(stream.status).toBe(200);
    expect(stream.headers['content-type']).toBe('text/event-stream; charset=utf-8');
    expect(stream.headers['x-from-hook']).toBe('yes');
    expect(stream.headers['x-feed']).toBe('prices');
    expect(stream.text).toMatch(/^retry: \d+\n\ndata: hello\n\n$/);
    stream.close();
    await waitForHub(app.get(SseHub), (hub) => hub.count() === 0);
  });

  it('ends a completed stream with nothing of Fastify after the events', async () => {
    const stream = await openEventStream(server.app, `/short`);
    await stream.ended;
    expect(stream.events.slice(0, 2).map((event) => event.data)).toEqual(['a', 'b']);
    // Whatever follows the events is the library's own final word, not a body of Fastify's.
    expect(stream.text).not.toMatch(/\{"(statusCode|ok)"/);
  });

  it('answers 204 and HEAD through the hijacked reply', async () => {
    const none = await openEventStream(server.app, `/none`);
    await none.ended;
    expect(none.status).toBe(204);
    expect(none.text).toBe('');
    const head = await openEventStream(server.app, `/live`, { method: 'HEAD' });
    await head.ended;
    expect(head.status).toBe(200);
    expect(head.headers['content-type']).toBe('text/event-stream; charset=utf-8');
    expect(head.text).toBe('');
  });

  it("lets Fastify answer a request refused before the stream (a guard, a source that fails first) through Nest's exception filters", async () => {
    for (const path of ['/refused', '/failing']) {
      const response = await openEventStream(server.app, `${path}`);
      await response.ended;
      expect(response.status).toBe(403);
      expect(response.headers['content-type']).toMatch(/^application\/json/);
      expect(response.headers['x-from-hook']).toBe('yes');
      expect(JSON.parse(response.text)).toMatchObject({ statusCode: 403 });
    }
    const plain = await openEventStream(server.app, `/plain`);
    await plain.ended;
    expect(JSON.parse(plain.text)).toEqual({ ok: true });
  });

  it('leaves no warning or error in the Fastify log (no "Reply was already sent")', () => {
    expect(logs.length).toBeGreaterThan(0); // the logger is on: Fastify logged the requests
    const warnings = logs.filter((line) => line.level >= WARN);
    expect(warnings).toEqual([]);
    expect(JSON.stringify(logs)).not.toMatch(/already sent/i);
  });
});
