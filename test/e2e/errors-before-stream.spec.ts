import {
  Controller,
  ForbiddenException,
  Injectable,
  NotFoundException,
  Param,
  ParseIntPipe,
  UnauthorizedException,
  UseGuards,
  type CanActivate,
} from '@nestjs/common';
import { of, throwError } from 'rxjs';
import { type TestEventStream, openEventStream } from 'nestjs-event-stream/testing';
import { EventStream, SseHub } from '../../lib/index.js';
import { CaptureLogger } from '../utils/capture-logger.js';
import { TestEventSource } from '../utils/event-source-client.js';
import { startApp, type TestApp } from '../utils/test-app.js';

@Injectable()
class DenyGuard implements CanActivate {
  canActivate() {
    return false;
  }
}

@Injectable()
class UnauthorizedGuard implements CanActivate {
  canActivate(): boolean {
    throw new UnauthorizedException('token expired');
  }
}

@Controller()
class ErrorsController {
  @EventStream('denied')
  @UseGuards(DenyGuard)
  denied() {
    return of('never');
  }

  @EventStream('unauthorized')
  @UseGuards(UnauthorizedGuard)
  unauthorized() {
    return of('never');
  }

  @EventStream('items/:id')
  item(@Param('id', ParseIntPipe) id: number) {
    return of({ id });
  }

  @EventStream('throws')
  throws(): never {
    throw new Error('handler blew up with a secret');
  }

  @EventStream('throws-http')
  throwsHttp(): never {
    throw new ForbiddenException('not your feed');
  }

  @EventStream('rejects')
  async rejects(): Promise<never> {
    throw new NotFoundException('no such feed');
  }

  @EventStream('rejects-plain')
  rejectsPlain(): Promise<never> {
    return Promise.reject(new Error('db down'));
  }

  @EventStream('number')
  number() {
    return 42;
  }

  @EventStream('promise-of-string')
  async promiseOfString() {
    return 'not a stream';
  }

  @EventStream('sync-error')
  syncError() {
    return throwError(() => new NotFoundException('gone'));
  }

  @EventStream('sync-plain-error')
  syncPlainError() {
    return throwError(() => new Error('secret detail'));
  }
}

async function refused(server: TestApp, path: string): Promise<{ stream: TestEventStream; body: unknown }> {
  const stream = await openEventStream(server.app, path);
  await stream.ended;
  expect(stream.headers['content-type']).not.toMatch(/text\/event-stream/);
  expect(stream.headers['content-type']).toMatch(/^application\/json/);
  return { stream, body: JSON.parse(stream.text) };
}

describe('errors before the stream starts answer with their real HTTP status', () => {
  let server: TestApp;
  const logs = new CaptureLogger();

  beforeAll(async () => {
    // Exact bytes: no jitter on the first retry hint.
    server = await startApp({ controllers: [ErrorsController] }, { retryJitter: 0 }, (app) => app.useLogger(logs));
  });
  afterAll(() => server.close());

  it('a guard returning false answers 403', async () => {
    const { stream, body } = await refused(server, `/denied`);
    expect(stream.status).toBe(403);
    expect(body).toEqual({ statusCode: 403, message: 'Forbidden resource', error: 'Forbidden' });
  });

  it('a guard throwing UnauthorizedException answers 401 with its message', async () => {
    const { stream, body } = await refused(server, `/unauthorized`);
    expect(stream.status).toBe(401);
    expect(body).toMatchObject({ statusCode: 401, message: 'token expired' });
  });

  it('a failing pipe (ParseIntPipe on a param) answers 400, and a valid param streams', async () => {
    const { stream } = await refused(server, `/items/abc`);
    expect(stream.status).toBe(400);

    const ok = await openEventStream(server.app, `/items/7`);
    await ok.ended;
    expect(ok.status).toBe(200);
    expect(ok.text).toBe('retry: 3000\n\ndata: {"id":7}\n\nevent: sse-end\ndata: {"reason":"completed"}\n\n');
  });

  it('a handler that throws answers 500 without its message', async () => {
    const { stream, body } = await refused(server, `/throws`);
    expect(stream.status).toBe(500);
    expect(body).toEqual({ statusCode: 500, message: 'Internal server error' });
  });

  it('a handler that throws an HttpException answers its status', async () => {
    const { stream, body } = await refused(server, `/throws-http`);
    expect(stream.status).toBe(403);
    expect(body).toMatchObject({ message: 'not your feed' });
  });

  it('a handler returning a rejected Promise answers the real status', async () => {
    expect((await refused(server, `/rejects`)).stream.status).toBe(404);
    expect((await refused(server, `/rejects-plain`)).stream.status).toBe(500);
  });

  it('a handler returning a value that is not a stream answers 500 and logs which handler did it', async () => {
    logs.clear();
    expect((await refused(server, `/number`)).stream.status).toBe(500);
    expect((await refused(server, `/promise-of-string`)).stream.status).toBe(500);
    const errors = logs.messages('error', 'An @EventStream() handler returns');
    expect(errors.some((m) => m.includes('ErrorsController.number returned number 42'))).toBe(true);
    expect(errors.some((m) => m.includes('ErrorsController.promiseOfString returned "not a stream"'))).toBe(true);
  });

  it('an Observable that errors before emitting answers the real status (throwError NotFoundException → 404)', async () => {
    const { stream, body } = await refused(server, `/sync-error`);
    expect(stream.status).toBe(404);
    expect(body).toMatchObject({ statusCode: 404, message: 'gone' });
    const plain = await refused(server, `/sync-plain-error`);
    expect(plain.stream.status).toBe(500);
    expect(plain.stream.text).not.toContain('secret detail');
  });

  it('a refused request leaves no stream behind', () => {
    expect(server.app.get(SseHub).count()).toBe(0);
  });

  it('the eventsource client does not reconnect after a refusal', async () => {
    const client = new TestEventSource(`${server.url}/denied`);
    await expect(client.waitFor(() => false, 'never')).rejects.toThrow('EventSource closed');
    expect(client.errors).toEqual([expect.objectContaining({ code: 403 })]);
    expect(client.opens).toBe(0);
  });
});
