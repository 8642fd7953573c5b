import 'reflect-metadata';
import type { LoggerService, LogLevel } from '@nestjs/common';
import { NestFactory } from '@nestjs/core';
import type { NestExpressApplication } from '@nestjs/platform-express';
import { AppModule, type SampleScaleOut } from './app.module.js';
import { parseSampleConfig, type SampleConfig, type SampleEnv } from './config/sample-config.js';
import { samplePublicDir } from './public-dir.js';
import { RedisSignedOutUsers } from './sessions/redis-signed-out-users.js';

export interface SampleAppOptions {
  /** Nest's logger option: `false` to silence it (tests), a level list, or a `LoggerService`. */
  logger?: LoggerService | LogLevel[] | false;
}

export interface SampleApp {
  /** The app, configured but not listening yet. */
  app: NestExpressApplication;
  config: SampleConfig;
}

/**
 * Builds the sample app from environment variables (see `parseSampleConfig`):
 * the page as static files, CORS for `CORS_ORIGINS`, and the hub on Redis when
 * `SSE_REDIS_URL` is set. `main.ts` listens on `PORT`/`HOST`; the tests listen
 * on an ephemeral port. Throws `SampleConfigError` for a bad variable.
 */
export async function createSampleApp(
  env: SampleEnv = process.env,
  options: SampleAppOptions = {},
): Promise<SampleApp> {
  const config = parseSampleConfig(env);
  const scaleOut = config.redisUrl ? await createRedisScaleOut(config.redisUrl, config.redisPrefix) : {};
  const app = await NestFactory.create<NestExpressApplication>(AppModule.forRoot(config, scaleOut), {
    logger: options.logger,
    // Throw instead of exiting the process, so main.ts reports the error and tests see it.
    abortOnError: false,
    // Open streams are ended by the library first (beforeApplicationShutdown); this then drops
    // idle keep-alive sockets, so a shutdown never waits on a browser that keeps one open.
    forceCloseConnections: true,
  });
  app.disable('x-powered-by');
  if (config.corsOrigins.length > 0) {
    // Only the listed origins, with credentials (the sse_token cookie): never '*'. Any other
    // origin gets no CORS header at all (cors would otherwise still send Allow-Credentials).
    const allowed = new Set(config.corsOrigins);
    // Answers differ by Origin: tell caches so, whatever the origin.
    app.use((_request: unknown, response: { vary(field: string): void }, next: () => void) => {
      response.vary('Origin');
      next();
    });
    app.enableCors((request: { headers: { origin?: string } }, callback) => {
      const origin = request.headers.origin;
      callback(null, origin !== undefined && allowed.has(origin) ? { origin, credentials: true } : { origin: false });
    });
  }
  app.useStaticAssets(samplePublicDir());
  return { app, config };
}

/**
 * The Redis broker, schedule lock, ticket store and signed-out users (these
 * three on the broker's connection), imported only when `SSE_REDIS_URL` is set, so an in-memory
 * run never loads `ioredis`. `./redis-broker.js` re-exports
 * `nestjs-event-stream/redis` with a static `export ... from`, which Nest's
 * CLI rewrites to the built library like any other import of
 * `nestjs-event-stream`.
 */
async function createRedisScaleOut(url: string, keyPrefix: string): Promise<SampleScaleOut> {
  const { RedisSseBroker, RedisSseScheduleLock, RedisSseTicketStore } = await import('./redis-broker.js');
  const broker = new RedisSseBroker({ url, keyPrefix });
  return {
    broker,
    scheduleLock: new RedisSseScheduleLock(broker),
    ticketStore: new RedisSseTicketStore({ broker }),
    signedOutUsers: new RedisSignedOutUsers(broker),
  };
}
