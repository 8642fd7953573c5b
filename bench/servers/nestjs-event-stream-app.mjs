/**
 * The nestjs-event-stream bench app, shared by the nestjs-event-stream contenders (in-memory, and
 * later Redis): `@EventStream()` + `SseHub.join(client, ['bench'])`, and
 * `hub.publish('bench', data)` per event. Runs against the BUILT package
 * (dist/), as users get it: `npm run build` first.
 */
import 'reflect-metadata';
import { Body, Controller, Get, Inject, Module, Post, Query } from '@nestjs/common';
import { pathToFileURL } from 'node:url';
import { createNestApp, createServerKit, decorateMethod, performance, publishArgs } from './server-kit.mjs';

// The built package; NESTJS_SSE_DIST=/abs/path/to/index.js benchmarks another build (A/B).
const { EventStream, SseClient, SseHub, SseModule } = await import(
  process.env.NESTJS_SSE_DIST ? pathToFileURL(process.env.NESTJS_SSE_DIST).href : '../../dist/index.js'
);

/** Stream options of every nestjs-event-stream contender: no heartbeat, and a buffer limit the throughput test does not reach. */
export const BENCH_SSE_OPTIONS = {
  heartbeatMs: 0,
  maxBufferedBytes: 64 * 1024 * 1024,
  // 10,000 anonymous streams from one address: the bench's own load, not an attack.
  // (Integers rather than Infinity, which builds before the limits had defaults refuse.)
  maxConnections: 1_000_000,
  maxAnonymousConnectionsPerAddress: 1_000_000,
};

/**
 * Starts the app and reports readiness.
 * @param {{ name: string, moduleOptions?: object | ((kit) => Promise<object | null>) }} options
 *   `moduleOptions` go to `SseModule.forRoot()` on top of BENCH_SSE_OPTIONS
 *   (e.g. `{ broker }`). As a function, it may find that the contender cannot
 *   run here (no Redis...): it then calls `kit.skip(reason)` and returns null.
 */
export async function startNestjsSseServer({ name, moduleOptions = {} }) {
  const kit = createServerKit(name);
  let extraOptions;
  try {
    extraOptions = typeof moduleOptions === 'function' ? await moduleOptions(kit) : moduleOptions;
  } catch (error) {
    kit.fatal(error);
    return undefined;
  }
  if (extraOptions === null) return undefined;

  class BenchController {
    constructor(hub) {
      this.hub = hub;
    }

    events(client) {
      return this.hub.join(client, ['bench']);
    }

    async publish(body) {
      const { data, count } = publishArgs(body);
      const start = performance.now();
      const ids = [];
      for (let i = 0; i < count; i++) ids.push(this.hub.publish('bench', data));
      const syncMs = performance.now() - start;
      kit.published(count, syncMs);
      await Promise.all(ids);
      return { published: count, syncMs };
    }

    stats(query) {
      return kit.stats(query, this.hub.count());
    }
  }
  Controller()(BenchController);
  Inject(SseHub)(BenchController, undefined, 0);
  decorateMethod(BenchController, 'events', [EventStream('events')], [SseClient()]);
  decorateMethod(BenchController, 'publish', [Post('publish')], [Body()]);
  decorateMethod(BenchController, 'stats', [Get('stats')], [Query()]);

  class BenchModule {}
  Module({
    imports: [SseModule.forRoot({ ...BENCH_SSE_OPTIONS, ...extraOptions })],
    controllers: [BenchController],
  })(BenchModule);

  try {
    const app = await createNestApp(BenchModule, { logger: ['error', 'warn'] });
    await app.listen(0, '127.0.0.1');
    kit.ready(app.getHttpServer().address().port);
    return { app, kit };
  } catch (error) {
    kit.fatal(error);
    return undefined;
  }
}
