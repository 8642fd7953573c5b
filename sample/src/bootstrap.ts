import 'reflect-metadata';
import type { DynamicModule, INestApplication, LoggerService, LogLevel, NestApplicationOptions } from '@nestjs/common';
import { NestFactory } from '@nestjs/core';
import { DocumentBuilder, SwaggerModule } from '@nestjs/swagger';
import type { NestExpressApplication } from '@nestjs/platform-express';
import type { NestFastifyApplication } from '@nestjs/platform-fastify';
import { documentEventStreams } from 'nestjs-event-stream/openapi';
import { readFileSync } from 'node:fs';
import type { ServerResponse } from 'node:http';
import { AppModule } from './app.module.js';
import { parseSampleConfig, SampleConfigError, type SampleConfig, type SampleEnv } from './config/sample-config.js';
import { createScaleOut } from './scale-out/scale-out.js';

export interface SampleAppOptions {
  /** Nest's logger option: `false` to silence it (tests), a level list, or a `LoggerService`. */
  logger?: LoggerService | LogLevel[] | false;
}

export interface SampleApp {
  /** The app, configured but not listening yet: on Express, or on Fastify (`PLATFORM=fastify`, `HTTP2=1`). */
  app: INestApplication;
  config: SampleConfig;
}

/**
 * Builds the sample app from environment variables (see `parseSampleConfig`):
 * on Express or Fastify (`PLATFORM`, `HTTP2`), CORS for `CORS_ORIGINS`, the
 * hub on the broker of `SSE_BROKER_URL` when it is set (`scale-out/`), and its OpenAPI document at
 * `/api-json` (see `serveOpenApi`). `main.ts` listens on `PORT`/`HOST`; the tests listen
 * on an ephemeral port. Throws `SampleConfigError` for a bad variable.
 */
export async function createSampleApp(
  env: SampleEnv = process.env,
  options: SampleAppOptions = {},
): Promise<SampleApp> {
  const config = parseSampleConfig(env);
  const scaleOut = await createScaleOut(config);
  const app = await createPlatformApp(AppModule.forRoot(config, scaleOut), config, {
    logger: options.logger,
    // Throw instead of exiting the process, so main.ts reports the error and tests see it.
    abortOnError: false,
    // Open streams are ended by the library first (beforeApplicationShutdown); this then drops
    // idle keep-alive sockets, so a shutdown never waits on a browser that keeps one open.
    forceCloseConnections: true,
  });
  if (config.corsOrigins.length > 0) {
    // Only the listed origins, with credentials (the sse_token cookie): never '*'. Any other
    // origin gets no CORS header at all (cors would otherwise still send Allow-Credentials).
    const allowed = new Set(config.corsOrigins);
    // Answers differ by Origin: tell caches so, whatever the origin. Node's own response, on either platform.
    app.use((_request: unknown, response: ServerResponse, next: () => void) => {
      response.setHeader('Vary', 'Origin');
      next();
    });
    app.enableCors(
      (
        request: { headers: { origin?: string } },
        callback: (error: Error | null, options: { origin: string | false; credentials?: boolean }) => void,
      ) => {
        const origin = request.headers.origin;
        callback(null, origin !== undefined && allowed.has(origin) ? { origin, credentials: true } : { origin: false });
      },
    );
  }
  serveOpenApi(app, config);
  return { app, config };
}

/**
 * The OpenAPI 3.2 document of the sample at `/api-json`, its streams documented
 * by `@ApiEventStream()` and `documentEventStreams()`; built on its first
 * request, so a start never pays for it. The Swagger UI at `/api` on Express
 * only: on Fastify it would need `@fastify/static`, which the sample does not
 * install for one page.
 */
function serveOpenApi(app: INestApplication, config: SampleConfig): void {
  const document = new DocumentBuilder()
    .setOpenAPIVersion('3.2.0')
    .setTitle('nestjs-event-stream sample')
    .setDescription('The sample of nestjs-event-stream: event streams (text/event-stream) and the routes around them.')
    .setVersion('1.0.0')
    .addBearerAuth()
    .build();
  SwaggerModule.setup('api', app, () => documentEventStreams(SwaggerModule.createDocument(app, document)), {
    ui: config.platform === 'express',
    raw: ['json'],
  });
}

/**
 * The app on the platform the configuration names: Express (HTTP/1.1), or Fastify over HTTP/1.1 or, with
 * `HTTP2=1`, HTTP/2 over TLS (browsers speak HTTP/2 only over TLS) with
 * HTTP/1.1 for clients that do not offer it.
 */
async function createPlatformApp(
  module: DynamicModule,
  config: SampleConfig,
  options: NestApplicationOptions,
): Promise<INestApplication> {
  if (config.platform === 'express') {
    const app = await NestFactory.create<NestExpressApplication>(module, options);
    app.disable('x-powered-by');
    return app;
  }
  const { FastifyAdapter } = await import('@nestjs/platform-fastify');
  // Fastify answers 414 to a path parameter over 100 characters by default: room names go up to 195.
  const routing = { maxParamLength: 1024 };
  const adapter = config.http2
    ? new FastifyAdapter({ ...routing, http2: true, https: { ...readCertificate(config.tls), allowHTTP1: true } })
    : new FastifyAdapter(routing);
  return NestFactory.create<NestFastifyApplication>(module, adapter, options);
}

/** The TLS key and certificate of `HTTP2=1` (`npm run sample:cert` makes a self-signed pair for development). */
function readCertificate(files: SampleConfig['tls']): { key: Buffer; cert: Buffer } {
  try {
    return { key: readFileSync(files.keyFile), cert: readFileSync(files.certFile) };
  } catch (error) {
    throw new SampleConfigError([
      `HTTP2=1 needs a TLS certificate: ${(error as Error).message}. ` +
        'Run `npm run sample:cert` for a self-signed one (sample/certs/), or set TLS_KEY_FILE and TLS_CERT_FILE.',
    ]);
  }
}
