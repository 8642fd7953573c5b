import type { INestApplication, ModuleMetadata, Type } from '@nestjs/common';
import type { NestApplicationOptions } from '@nestjs/common';
import { Test } from '@nestjs/testing';
import type { AddressInfo } from 'node:net';
import { SseModule, type SseModuleOptions } from '../../lib/index.js';

export interface TestApp {
  app: INestApplication;
  /** `http://127.0.0.1:<port>` */
  url: string;
  close(): Promise<void>;
}

/** Starts an app on an ephemeral port of 127.0.0.1. */
export async function listen(app: INestApplication): Promise<TestApp> {
  await app.listen(0, '127.0.0.1');
  const { port } = app.getHttpServer().address() as AddressInfo;
  return { app, url: `http://127.0.0.1:${port}`, close: () => app.close() };
}

/**
 * Boots `SseModule.forRoot(options)` with the given controllers/providers and listens.
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
  configure?: (app: INestApplication) => void,
  appOptions: NestApplicationOptions = {},
): Promise<TestApp> {
  const moduleRef = await Test.createTestingModule({
    ...metadata,
    imports: [SseModule.forRoot(options), ...(metadata.imports ?? [])],
  }).compile();
  const app = moduleRef.createNestApplication({ logger: false, forceCloseConnections: true, ...appOptions });
  configure?.(app);
  return listen(app);
}
