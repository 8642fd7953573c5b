/**
 * A CommonJS Nest app using the published package, as an app author writes it.
 * The package.json beside it says "type": "commonjs", so tsc (module nodenext)
 * turns each import into a require() call, and Node (20.19+) loads the ES
 * modules of Nest 12 and nestjs-event-stream through require(esm).
 * Built and run by test/package/package.spec.ts against the packed tarball
 * (see ../build.ts); prints `{"port":N,...}` on a line of its own once it listens.
 */
import 'reflect-metadata';
import { Controller, Module } from '@nestjs/common';
import { NestFactory } from '@nestjs/core';
import type { AddressInfo } from 'node:net';
import { of } from 'rxjs';
import { EventStream, SseModule, sseEvent } from 'nestjs-event-stream';
import * as redis from 'nestjs-event-stream/redis';
import { useEntryPoints } from './entry-points.js';

@Controller()
class HelloController {
  @EventStream('hello')
  hello() {
    return of(sseEvent({ event: 'hello', data: { ok: true } }));
  }
}

// retryJitter 0: the package test asserts the stream's bytes exactly.
@Module({ imports: [SseModule.forRoot({ retryJitter: 0 })], controllers: [HelloController] })
class AppModule {}

async function main(): Promise<void> {
  const app = await NestFactory.create(AppModule, { logger: ['error', 'warn'] });
  app.enableShutdownHooks();
  await app.listen(0, '127.0.0.1');
  const { port } = app.getHttpServer().address() as AddressInfo;
  const report = {
    port,
    moduleSystem: typeof module === 'object' && typeof require === 'function' ? 'commonjs' : 'module',
    entry: require.resolve('nestjs-event-stream'),
    redisExports: Object.keys(redis).filter((name) => name !== 'default'),
    ...(await useEntryPoints(app, `http://127.0.0.1:${port}`)),
  };
  process.stdout.write(`${JSON.stringify(report)}\n`);
}

void main();
