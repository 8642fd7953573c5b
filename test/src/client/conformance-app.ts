import type { INestApplication } from '@nestjs/common';
import { EventStreamClient, type EventStreamClientOptions } from 'nestjs-event-stream/client';
import { waitForHub } from 'nestjs-event-stream/testing';
import { SseHub } from '../../../lib/index.js';
import { startApp, type TestApp } from '../../utils/test-app.js';
import {
  CONFORMANCE_OPTIONS,
  ConformanceController,
  resetConformance,
  type ConformanceEvents,
} from './conformance.controller.js';

/** Short backoff, so that the suites that reconnect stay fast. */
export const FAST: EventStreamClientOptions = { retry: { initialMs: 20, maxMs: 200 } };

/** What a client suite of the conformance app uses. */
export interface ConformanceApp {
  /** The app (set in `beforeAll`). */
  readonly app: TestApp;
  readonly hub: SseHub;
  /** Closes `client` after the test. */
  track<T extends { close(): void }>(client: T): T;
  /** A client of `path` on the app, with `FAST` backoff under `options`, closed after the test. */
  connect<M extends object = ConformanceEvents>(path: string, options?: EventStreamClientOptions): EventStreamClient<M>;
}

/**
 * The conformance app for the suite it is called in: started in `beforeAll`
 * (`configure` may add middleware), its record reset before each test, each
 * test's clients closed after it, and the hub awaited back to no stream.
 */
export function useConformanceApp(configure?: (app: INestApplication) => unknown): ConformanceApp {
  let app: TestApp | undefined;
  const clients: { close(): void }[] = [];
  const started = (): TestApp => {
    if (!app) throw new Error('useConformanceApp(): the app starts in beforeAll; use it inside a test.');
    return app;
  };
  const suite: ConformanceApp = {
    get app() {
      return started();
    },
    get hub() {
      return started().app.get(SseHub);
    },
    track: (client) => {
      clients.push(client);
      return client;
    },
    connect: <M extends object = ConformanceEvents>(path: string, options: EventStreamClientOptions = {}) =>
      suite.track(new EventStreamClient<M>(started().url + path, { ...FAST, ...options })),
  };
  beforeAll(async () => {
    app = await startApp({ controllers: [ConformanceController] }, CONFORMANCE_OPTIONS, configure);
  });
  afterAll(() => app?.close());
  beforeEach(() => resetConformance());
  afterEach(async () => {
    clients.splice(0).forEach((client) => client.close());
    if (app) await waitForHub(suite.hub, (hub) => hub.count() === 0);
  });
  return suite;
}
