/**
 * What every contender server shares, so that they differ only in how they
 * stream: the `/stats` figures, the readiness notice, the profiler and the
 * exit command. A server is started by bench/run.mjs with an IPC channel.
 *
 * The contract of a contender server (see bench/README.md):
 *   GET  /events   an event stream
 *   POST /publish  JSON { data, count }: broadcasts `count` events carrying `data`
 *                  to every connected client, answers JSON { published, syncMs }
 *   GET  /stats    JSON { connections, rss, heapUsed, ... }
 *                  ?gc=1    collect garbage first (servers run with --expose-gc)
 *                  ?mark=1  start a measurement window: reset the event-loop
 *                           delay histogram and the last publish figures
 */
import { writeFile } from 'node:fs/promises';
import { writeHeapSnapshot } from 'node:v8';
import { Session } from 'node:inspector/promises';
import { monitorEventLoopDelay, performance } from 'node:perf_hooks';
import { notify, serveRpc } from '../lib/ipc.mjs';

const nextTurn = () => new Promise((resolve) => setImmediate(resolve));

/**
 * @param {string} name the contender's name, for messages
 * @returns the helpers a server uses
 */
export function createServerKit(name) {
  // Resolution 1 ms: the histogram's max is the longest the loop was blocked (plus ~1 ms).
  const loopDelay = monitorEventLoopDelay({ resolution: 1 });
  let lastPublish = null;
  let marked = false;
  let session;

  serveRpc({
    exit: () => {
      setImmediate(() => process.exit(0));
      return true;
    },
    profileStart: async ({ intervalUs = 100 }) => {
      session = new Session();
      session.connect();
      await session.post('Profiler.enable');
      await session.post('Profiler.setSamplingInterval', { interval: intervalUs });
      await session.post('Profiler.start');
      return true;
    },
    heapSnapshot: ({ file }) => {
      globalThis.gc?.();
      return writeHeapSnapshot(file);
    },
    profileStop: async ({ file }) => {
      if (!session) throw new Error('no profile running');
      const { profile } = await session.post('Profiler.stop');
      session.disconnect();
      session = undefined;
      await writeFile(file, JSON.stringify(profile));
      return file;
    },
  });
  process.on('SIGTERM', () => process.exit(0));

  return {
    /** Records the synchronous duration of a POST /publish handler. */
    published(count, syncMs) {
      lastPublish = { count, syncMs };
    },

    /** The body of GET /stats. `query` is the parsed query string. */
    async stats(query, connections) {
      if (query.gc) {
        if (typeof globalThis.gc !== 'function') throw new Error(`${name}: run with --expose-gc`);
        for (let i = 0; i < 3; i++) {
          globalThis.gc();
          await nextTurn();
        }
      }
      const memory = process.memoryUsage();
      const cpu = process.cpuUsage();
      const stats = {
        connections,
        rss: memory.rss,
        heapUsed: memory.heapUsed,
        heapTotal: memory.heapTotal,
        external: memory.external,
        arrayBuffers: memory.arrayBuffers,
        cpuMs: (cpu.user + cpu.system) / 1000,
        // The longest event-loop block since the last ?mark=1 (null before any mark).
        loopBlockMaxMs: marked ? loopDelay.max / 1e6 : null,
        lastPublish,
        at: performance.now(),
      };
      if (query.mark) {
        loopDelay.reset();
        loopDelay.enable();
        marked = true;
        lastPublish = null;
      }
      return stats;
    },

    /** Tells the orchestrator the server listens on `port`. */
    ready(port) {
      notify({ type: 'ready', port, pid: process.pid, name });
    },

    /** Tells the orchestrator this contender cannot run here (e.g. no Redis), and exits. */
    skip(reason) {
      notify({ type: 'skip', reason });
      setTimeout(() => process.exit(0), 100);
    },

    /** Reports a startup failure and exits. */
    fatal(error) {
      notify({ type: 'fatal', error: String(error?.stack ?? error) });
      setTimeout(() => process.exit(1), 100);
    },
  };
}

/** Reads a small JSON request body (plain node:http). */
export function readJson(request) {
  return new Promise((resolve, reject) => {
    const chunks = [];
    request.on('data', (chunk) => chunks.push(chunk));
    request.on('end', () => {
      try {
        resolve(JSON.parse(Buffer.concat(chunks).toString('utf8')));
      } catch (error) {
        reject(error);
      }
    });
    request.on('error', reject);
  });
}

/** Checks the body of POST /publish. */
export function publishArgs(body) {
  const count = Number(body?.count ?? 1);
  if (!Number.isSafeInteger(count) || count < 1 || count > 1_000_000) {
    throw new Error(`count must be an integer in 1..1e6, got ${body?.count}`);
  }
  return { data: body.data, count };
}

/**
 * Applies decorators to a method of a plain-JS class the way TypeScript does:
 * parameter decorators first, then method decorators bottom-up (listed top-down).
 */
export function decorateMethod(cls, key, methodDecorators, parameterDecorators = []) {
  parameterDecorators.forEach((decorator, index) => decorator?.(cls.prototype, key, index));
  const descriptor = Object.getOwnPropertyDescriptor(cls.prototype, key);
  const decorated = Reflect.decorate(methodDecorators, cls.prototype, key, descriptor);
  Object.defineProperty(cls.prototype, key, decorated ?? descriptor);
}

/**
 * Creates the Nest app of a contender on the platform `BENCH_PLATFORM` names:
 * `express` (default) or `fastify` (`@nestjs/platform-fastify`, HTTP/1.1).
 */
export async function createNestApp(module, options) {
  const { NestFactory } = await import('@nestjs/core');
  if (process.env.BENCH_PLATFORM === 'fastify') {
    const { FastifyAdapter } = await import('@nestjs/platform-fastify');
    return NestFactory.create(module, new FastifyAdapter(), options);
  }
  return NestFactory.create(module, options);
}

export { performance };
