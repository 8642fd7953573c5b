import type { INestApplication, ModuleMetadata, Type } from '@nestjs/common';
import type { NestApplicationOptions } from '@nestjs/common';
import type { NestFastifyApplication } from '@nestjs/platform-fastify';
import type { FastifyServerOptions } from 'fastify';
import { Test, type TestingModule } from '@nestjs/testing';
import type { AddressInfo } from 'node:net';
import { SseModule, type SseModuleOptions } from '../../lib/index.js';
import { h2cFetch } from './http2-fetch.js';

/**
 * The platform the e2e suites run on: `SSE_TEST_PLATFORM` (set by the jest
 * projects, see jest.config.js), Express by default.
 * - `express`: `@nestjs/platform-express`, HTTP/1.1;
 * - `fastify`: `@nestjs/platform-fastify`, HTTP/1.1;
 * - `fastify-h2c`: `@nestjs/platform-fastify` with `http2: true`: cleartext
 *   HTTP/2 with prior knowledge (clients must speak HTTP/2 from the first byte).
 */
export type TestPlatform = 'express' | 'fastify' | 'fastify-h2c';

const PLATFORMS: readonly TestPlatform[] = ['express', 'fastify', 'fastify-h2c'];

function platformFromEnv(): TestPlatform {
  const given = process.env.SSE_TEST_PLATFORM ?? 'express';
  if (!(PLATFORMS as readonly string[]).includes(given)) {
    throw new Error(`SSE_TEST_PLATFORM must be one of ${PLATFORMS.join(', ')}; got ${given}`);
  }
  return given as TestPlatform;
}

export const TEST_PLATFORM: TestPlatform = platformFromEnv();

/** The sample's `PLATFORM` for the suites' platform (the sample speaks HTTP/2 over TLS only, not h2c). */
export const SAMPLE_PLATFORM = TEST_PLATFORM === 'express' ? 'express' : 'fastify';

export interface TestApp {
  app: INestApplication;
  /** `http://127.0.0.1:<port>` */
  url: string;
  platform: TestPlatform;
  close(): Promise<void>;
}

/** Origins of the apps listening with cleartext HTTP/2: the test clients speak HTTP/2 to them (see `isH2cUrl`). */
const h2cOrigins = new Set<string>();

/** Whether `url` points at a test app that speaks cleartext HTTP/2 only (prior knowledge). */
export function isH2cUrl(url: string | URL): boolean {
  return h2cOrigins.has(new URL(url).origin);
}

/**
 * On `fastify-h2c`, `fetch` (the suites' own calls, and the `eventsource`
 * client's) speaks HTTP/2 to the apps that listen with it, and goes on with
 * undici's HTTP/1.1 elsewhere.
 */
if (TEST_PLATFORM === 'fastify-h2c') {
  const undiciFetch = globalThis.fetch;
  globalThis.fetch = ((input: string | URL | Request, init?: RequestInit) =>
    isH2cUrl(typeof input === 'string' || input instanceof URL ? input : input.url)
      ? h2cFetch(input, init)
      : undiciFetch(input, init)) as typeof fetch;
}

function platformOf(app: INestApplication): TestPlatform {
  const adapter = app.getHttpAdapter().getType();
  if (adapter !== 'fastify') return 'express';
  const server = app.getHttpServer() as { constructor: { name: string } };
  return server.constructor.name === 'Http2Server' ? 'fastify-h2c' : 'fastify';
}

/** Starts an app on an ephemeral port of 127.0.0.1. */
export async function listen(app: INestApplication): Promise<TestApp> {
  await app.listen(0, '127.0.0.1');
  const { port } = app.getHttpServer().address() as AddressInfo;
  const url = `http://127.0.0.1:${port}`;
  const platform = platformOf(app);
  if (platform === 'fastify-h2c') h2cOrigins.add(url);
  return {
    app,
    url,
    platform,
    close: async () => {
      await app.close();
      h2cOrigins.delete(url);
    },
  };
}

/**
 * The app of `moduleRef` on `platform` (the suites' platform by default).
 * On Fastify, `forceCloseConnections` goes to Nest's adapter as on Express.
 */
export async function createTestApplication(
  moduleRef: TestingModule,
  appOptions: NestApplicationOptions = {},
  platform: TestPlatform = TEST_PLATFORM,
  fastifyOptions: { logger?: FastifyServerOptions['logger'] } = {},
): Promise<INestApplication> {
  if (platform === 'express') return moduleRef.createNestApplication(appOptions);
  const { FastifyAdapter } = await import('@nestjs/platform-fastify');
  const adapter =
    platform === 'fastify-h2c'
      ? new FastifyAdapter({ ...fastifyOptions, http2: true })
      : new FastifyAdapter({ ...fastifyOptions });
  return moduleRef.createNestApplication<NestFastifyApplication>(adapter, appOptions);
}

/**
 * Compression on every response the platform compresses: the `compression`
 * middleware on Express, `@fastify/compress` (an `onSend` hook) on Fastify.
 */
export async function useCompression(app: INestApplication): Promise<void> {
  if (app.getHttpAdapter().getType() === 'fastify') {
    const { default: fastifyCompress } = await import('@fastify/compress');
    await (app as NestFastifyApplication).register(fastifyCompress);
    return;
  }
  const { default: compression } = await import('compression');
  app.use(compression());
}

/**
 * Boots `SseModule.forRoot(options)` with the given controllers/providers and
 * listens, on the suites' platform (`TEST_PLATFORM`).
 *
 * `forceCloseConnections` is on by default: the `eventsource` client (undici)
 * sometimes opens a spare connection that never carries a request, and Node's
 * `server.close()` waits for such a socket until the client drops it (4 s).
 * Nest destroys leftover sockets only after `beforeApplicationShutdown`, so
 * streams are still ended by the library first. The shutdown suite turns it off.
 */
export async function startApp(
  metadata: ModuleMetadata & { controllers?: Type[] },
  options: SseModuleOptions = {},
  configure?: (app: INestApplication) => unknown,
  appOptions: NestApplicationOptions = {},
): Promise<TestApp> {
  const moduleRef = await Test.createTestingModule({
    ...metadata,
    imports: [SseModule.forRoot(options), ...(metadata.imports ?? [])],
  }).compile();
  const app = await createTestApplication(moduleRef, { logger: false, forceCloseConnections: true, ...appOptions });
  await configure?.(app);
  return listen(app);
}
