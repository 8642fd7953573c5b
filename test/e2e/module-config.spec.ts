import { Controller, Injectable, Module, type ModuleMetadata } from '@nestjs/common';
import { Test } from '@nestjs/testing';
import { NEVER, of, startWith } from 'rxjs';
import { openEventStream, waitForHub } from 'nestjs-event-stream/testing';
import { EventStream, SseHub, SseModule, type SseModuleOptions, type SseOptionsFactory } from '../../lib/index.js';
import { listen, startApp, type TestApp } from '../utils/test-app.js';

@Controller()
class ConfigController {
  @EventStream('events')
  events() {
    return of('x');
  }

  @EventStream('live')
  live() {
    return NEVER.pipe(startWith('hello'));
  }
}

const RETRY_MS = 'RETRY_MS';

@Module({ providers: [{ provide: RETRY_MS, useValue: 1234 }], exports: [RETRY_MS] })
class RetryConfigModule {}

@Injectable()
class SseConfig implements SseOptionsFactory {
  createSseOptions(): SseModuleOptions {
    // The retry hint exactly as configured: no jitter.
    return { retryMs: 2345, retryJitter: 0 };
  }
}

@Module({ providers: [SseConfig], exports: [SseConfig] })
class SseConfigModule {}

async function boot(metadata: ModuleMetadata): Promise<TestApp> {
  const moduleRef = await Test.createTestingModule({ controllers: [ConfigController], ...metadata }).compile();
  return listen(moduleRef.createNestApplication({ logger: false, forceCloseConnections: true }));
}

/** The final word of a stream whose source completed. */
const COMPLETED = 'event: sse-end\ndata: {"reason":"completed"}\n\n';

/** The body of a completed stream from `app`. */
async function bodyOf(server: TestApp, path = '/events'): Promise<string> {
  const stream = await openEventStream(server.app, `${path}`);
  await stream.ended;
  return stream.text;
}

describe('module configuration', () => {
  describe('SseModule.forRoot refuses bad options at startup, naming the option', () => {
    it.each<[string, SseModuleOptions]>([
      ['heartbeatMs', { heartbeatMs: -1 }],
      ['retryMs', { retryMs: 1.5 }],
      ['retryJitter', { retryJitter: 1.5 }],
      ['maxLifetimeMs', { maxLifetimeMs: -1 }],
      ['maxLifetimeJitter', { maxLifetimeJitter: Number.NaN }],
      ['endEventName', { endEventName: 'a\nb' }],
      ['maxBufferedBytes', { maxBufferedBytes: 0 }],
      ['serializer', { serializer: 'x' as never }],
      ['errorEventName', { errorEventName: 'a\nb' }],
      ['onFrameError', { onFrameError: 'x' as never }],
      ['sessionIdOf', { sessionIdOf: 'sid' as never }],
    ])('%s', async (name, options) => {
      const compiling = Test.createTestingModule({
        imports: [SseModule.forRoot(options)],
        controllers: [ConfigController],
      }).compile();
      await expect(compiling).rejects.toThrow(`nestjs-event-stream: option "${name}" must be`);
    });

    it('with the exact message', async () => {
      await expect(
        Test.createTestingModule({ imports: [SseModule.forRoot({ heartbeatMs: -1 })] }).compile(),
      ).rejects.toThrow('nestjs-event-stream: option "heartbeatMs" must be an integer >= 0, got number -1.');
    });

    it('also when the options come from forRootAsync', async () => {
      await expect(
        Test.createTestingModule({
          imports: [SseModule.forRootAsync({ useFactory: async () => ({ retryMs: -3 }) })],
        }).compile(),
      ).rejects.toThrow(
        'nestjs-event-stream: option "retryMs" must be an integer from 0 to 2147483647, got number -3.',
      );
    });
  });

  describe('SseModule.forRootAsync', () => {
    let server: TestApp | undefined;
    afterEach(async () => {
      await server?.close();
      server = undefined;
    });

    it('takes options from useFactory, with inject of a provider from an imported module', async () => {
      server = await boot({
        imports: [
          SseModule.forRootAsync({
            imports: [RetryConfigModule],
            inject: [RETRY_MS],
            useFactory: async (retryMs: number) => ({ retryMs, retryJitter: 0 }),
          }),
        ],
      });
      expect(await bodyOf(server)).toBe('retry: 1234\n\ndata: x\n\n' + COMPLETED);
    });

    it('takes options from useClass', async () => {
      server = await boot({ imports: [SseModule.forRootAsync({ useClass: SseConfig })] });
      expect(await bodyOf(server)).toBe('retry: 2345\n\ndata: x\n\n' + COMPLETED);
    });

    it('takes options from useExisting', async () => {
      server = await boot({
        imports: [SseModule.forRootAsync({ imports: [SseConfigModule], useExisting: SseConfig })],
      });
      expect(await bodyOf(server)).toBe('retry: 2345\n\ndata: x\n\n' + COMPLETED);
    });

    it('uses the defaults when the factory returns nothing: retryMs 3000 ± 20%, the final word sse-end', async () => {
      server = await boot({ imports: [SseModule.forRootAsync({ useFactory: () => undefined as never })] });
      const body = await bodyOf(server);
      // The first retry hint is jittered by design (retryJitter 0.2): any whole number from 2400 to 3600.
      const retry = Number(/^retry: (\d+)\n/.exec(body)?.[1]);
      expect(retry).toBeGreaterThanOrEqual(2400);
      expect(retry).toBeLessThanOrEqual(3600);
      expect(body).toBe(`retry: ${retry}\n\ndata: x\n\n` + COMPLETED);
    });
  });

  describe('@EventStream()', () => {
    it.each<[string, Record<string, unknown>]>([
      ['heartbeatMs', { heartbeatMs: -1 }],
      ['retryMs', { retryMs: 1.5 }],
      ['retryJitter', { retryJitter: -0.1 }],
      ['maxLifetimeMs', { maxLifetimeMs: 2 ** 31 }],
      ['maxLifetimeJitter', { maxLifetimeJitter: 2 }],
      ['endEventName', { endEventName: 'error' }],
      ['serializer', { serializer: 'x' }],
      ['errorEventName', { errorEventName: 'open' }],
      ['onFrameError', { onFrameError: 'x' }],
    ])('throws at decoration time for a bad %s, naming Controller.method', (name, options) => {
      expect(() => {
        @Controller()
        class BadRouteController {
          @EventStream('bad', options)
          feed() {
            return of(1);
          }
        }
        return BadRouteController;
      }).toThrow(`nestjs-event-stream: option "@EventStream() on BadRouteController.feed: ${name}" must be`);
    });

    it('throws at decoration time for a bad method, naming Controller.method', () => {
      expect(() => {
        @Controller()
        class BadMethodController {
          @EventStream('bad', { method: 'PUT' as never })
          feed() {
            return of(1);
          }
        }
        return BadMethodController;
      }).toThrow(`@EventStream() on BadMethodController.feed: option "method" must be 'GET' or 'POST', got PUT.`);
    });

    it('fails startup with a clear message when SseModule is not imported', async () => {
      const starting = (async () => {
        const moduleRef = await Test.createTestingModule({ controllers: [ConfigController] }).compile();
        const app = moduleRef.createNestApplication({ logger: false });
        try {
          await app.init();
        } finally {
          await app.close();
        }
      })();
      await expect(starting).rejects.toThrow(
        'nestjs-event-stream: @EventStream() is used but SseModule is not imported. Add SseModule.forRoot() to the imports of your root module.',
      );
    });
  });

  describe('two apps in one process', () => {
    it('share no connections, timers or options', async () => {
      // Each app's retry hint exactly: no jitter.
      const first = await startApp({ controllers: [ConfigController] }, { retryMs: 1111, retryJitter: 0 });
      const second = await startApp({ controllers: [ConfigController] }, { retryMs: 2222, retryJitter: 0 });
      try {
        const firstHub = first.app.get(SseHub);
        const secondHub = second.app.get(SseHub);
        expect(firstHub).not.toBe(secondHub);

        const streams = await Promise.all([
          openEventStream(first.app, `/live`),
          openEventStream(first.app, `/live`),
          openEventStream(second.app, `/live`),
        ]);
        await Promise.all(streams.map((stream) => stream.waitForEvents(1)));
        expect(streams.map((stream) => stream.retries[0])).toEqual([1111, 1111, 2222]);
        expect(firstHub.count()).toBe(2);
        expect(secondHub.count()).toBe(1);

        await second.close();
        await streams[2].ended;
        expect(secondHub.count()).toBe(0);
        expect(firstHub.count()).toBe(2);
        expect(streams[0].text).toBe('retry: 1111\n\ndata: hello\n\n');

        for (const stream of streams) stream.close();
        await waitForHub(firstHub, (h) => h.count() === 0);
      } finally {
        await first.close();
        await second.close();
      }
    });
  });
});
