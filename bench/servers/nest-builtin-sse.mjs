/**
 * Contender "Nest @Sse()": Nest 12's built-in Server-Sent Events on
 * platform-express (or platform-fastify with BENCH_PLATFORM=fastify), every
 * stream subscribed to one shared RxJS Subject: the way the Nest docs broadcast.
 */
import 'reflect-metadata';
import { Body, Controller, Get, Module, Post, Query, Sse } from '@nestjs/common';
import { Observable, Subject } from 'rxjs';
import { createNestApp, createServerKit, decorateMethod, performance, publishArgs } from './server-kit.mjs';

const kit = createServerKit('Nest @Sse()');
const events = new Subject();
let connections = 0;

class BenchController {
  events() {
    return new Observable((subscriber) => {
      connections++;
      const subscription = events.subscribe(subscriber);
      return () => {
        connections--;
        subscription.unsubscribe();
      };
    });
  }

  publish(body) {
    const { data, count } = publishArgs(body);
    const start = performance.now();
    for (let i = 0; i < count; i++) events.next({ data });
    const syncMs = performance.now() - start;
    kit.published(count, syncMs);
    return { published: count, syncMs };
  }

  stats(query) {
    return kit.stats(query, connections);
  }
}
Controller()(BenchController);
decorateMethod(BenchController, 'events', [Sse('events')]);
decorateMethod(BenchController, 'publish', [Post('publish')], [Body()]);
decorateMethod(BenchController, 'stats', [Get('stats')], [Query()]);

class BenchModule {}
Module({ controllers: [BenchController] })(BenchModule);

try {
  const app = await createNestApp(BenchModule, { logger: ['error', 'warn'] });
  await app.listen(0, '127.0.0.1');
  kit.ready(app.getHttpServer().address().port);
} catch (error) {
  kit.fatal(error);
}
