import type { SampleEnv } from '../../sample/src/config/sample-config.js';
import { openEventStream, type OpenEventStreamOptions, type TestEventStream } from 'nestjs-event-stream/testing';
import { callSample, startSample, type Answer, type RunningSample } from './sample-app.js';

export const SAMPLE_TOKEN = 'demo-token';
export const SAMPLE_OTHER_TOKEN = 'ann-token';
export const SAMPLE_ALLOWED_ORIGIN = 'http://allowed.example';

/** The sample's environment of the shared-instance suites: fast timers, two users, two CORS origins. */
export const SAMPLE_SUITE_ENV: SampleEnv = {
  TICK_MS: '50',
  CLOCK_MS: '50',
  JOB_MS: '300',
  SSE_TOKENS: `demo:${SAMPLE_TOKEN},ann:${SAMPLE_OTHER_TOKEN}`,
  CORS_ORIGINS: `${SAMPLE_ALLOWED_ORIGIN}, http://other-allowed.example:8080`,
  // The shared instance posts more than a person would; the limit itself is tested on its own instance.
  POST_LIMIT: '1000',
};

/** The `Authorization` header of `token` (the demo user's by default). */
export const bearer = (token = SAMPLE_TOKEN) => ({ authorization: `Bearer ${token}` });

/** What a suite of one shared sample instance calls it with. */
export interface SampleSuite {
  /** The running sample (set in `beforeAll`). */
  readonly sample: RunningSample;
  /** A request read to its end (`content-type: application/json` when it has a body). */
  call(path: string, options?: OpenEventStreamOptions): Promise<Answer>;
  /** A stream read with the testing kit, closed after the test. */
  stream(path: string, options?: OpenEventStreamOptions): Promise<TestEventStream>;
  /** A room message POSTed as the demo user (or with `headers`). */
  post(room: string, text: unknown, headers?: Record<string, string>): Promise<Answer>;
  /** Closes `closable` after the test (an `eventsource` client, say). */
  track<T extends { close(): void }>(closable: T): T;
}

/**
 * One sample instance for the suite (`describe`) it is called in: started in
 * `beforeAll`, the streams of each test closed in `afterEach`, closed in `afterAll`.
 */
export function useSample(env: SampleEnv = SAMPLE_SUITE_ENV): SampleSuite {
  let running: RunningSample | undefined;
  const open: { close(): void }[] = [];
  const suite: SampleSuite = {
    get sample() {
      if (!running) throw new Error('useSample(): the sample starts in beforeAll; use it inside a test.');
      return running;
    },
    call: (path, options = {}) => {
      const headers = {
        ...(options.body === undefined ? {} : { 'content-type': 'application/json' }),
        ...options.headers,
      };
      return callSample(suite.sample, path, { ...options, headers });
    },
    stream: async (path, options = {}) => suite.track(await openEventStream(suite.sample.app, path, options)),
    post: (room, text, headers = bearer()) =>
      suite.call(`/rooms/${room}/messages`, { method: 'POST', headers, body: JSON.stringify({ text }) }),
    track: (closable) => {
      open.push(closable);
      return closable;
    },
  };
  beforeAll(async () => {
    running = await startSample(env);
  });
  afterEach(() => open.splice(0).forEach((closable) => closable.close()));
  afterAll(() => running?.app.close());
  return suite;
}
