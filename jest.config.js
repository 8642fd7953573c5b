/** Jest runs the TypeScript sources as ES modules (Nest 12 is ESM-only). */
const base = {
  testEnvironment: 'node',
  extensionsToTreatAsEsm: ['.ts'],
  roots: ['<rootDir>/test'],
  testMatch: ['**/*.spec.ts'],
  moduleNameMapper: {
    '^nestjs-event-stream$': '<rootDir>/lib/index.ts',
    '^nestjs-event-stream/broker$': '<rootDir>/lib/broker.ts',
    '^nestjs-event-stream/redis$': '<rootDir>/lib/brokers/redis/index.ts',
    '^nestjs-event-stream/postgres$': '<rootDir>/lib/brokers/postgres/index.ts',
    '^nestjs-event-stream/nats$': '<rootDir>/lib/brokers/nats/index.ts',
    '^nestjs-event-stream/client$': '<rootDir>/lib/client/index.ts',
    '^nestjs-event-stream/testing$': '<rootDir>/lib/testing/index.ts',
    '^nestjs-event-stream/openapi$': '<rootDir>/lib/openapi/index.ts',
    '^nestjs-event-stream/prometheus$': '<rootDir>/lib/prometheus/index.ts',
    '^nestjs-event-stream/opentelemetry$': '<rootDir>/lib/opentelemetry/index.ts',
    '^nestjs-event-stream/terminus$': '<rootDir>/lib/terminus/index.ts',
    '^(\\.{1,2}/.*)\\.js$': '$1',
  },
  transform: {
    '^.+\\.ts$': ['ts-jest', { useESM: true, tsconfig: 'tsconfig.json', diagnostics: { ignoreCodes: [151002] } }],
  },
};

const e2e = (names) => names.map((name) => `<rootDir>/test/e2e/${name}.spec.ts`);

/**
 * The e2e suites that run again on Fastify over HTTP/1.1 (SSE_TEST_PLATFORM=fastify,
 * see test/utils/test-app.ts): the wire (framing, headers, completion, 204/HEAD,
 * errors before the stream, heartbeats, compression), backpressure and
 * disconnects, the hub (delivery, replay, limits, slow clients, Redis), auth,
 * schedule, shutdown, the stream lifecycle (final words, lifetimes, first
 * connects, tickets, sign out everywhere), and the sample (PLATFORM=fastify).
 */
const FASTIFY = e2e([
  'smoke',
  'framing',
  'headers',
  'completion',
  'compression',
  'errors-before-stream',
  'heartbeat',
  'backpressure',
  'disconnect',
  'hub-delivery',
  'hub-replay',
  'hub-limits',
  'hub-slow-client',
  'hub-shutdown',
  'redis-hub',
  'auth',
  'auth-post',
  'auth-expiry-open',
  'schedule',
  'shutdown',
  'shutdown-idle-sockets',
  'nest-sse-parity',
  'sample',
  'sample-health',
  'openapi',
  'openapi-faithful',
  'sample-limits',
  'sample-sign-out',
  'lifecycle-final-word',
  'lifecycle-lifetime',
  'hub-first-connect',
  'hub-join-subscribing',
  'auth-tickets',
  'testing-kit',
  'metrics-prometheus',
  'metrics-opentelemetry',
  'health-terminus',
  'metrics-refusals',
  'runs-lifecycle',
  'runs-redis',
  'runs-presets',
  'runs-redis-outage',
  'sample-assistant',
]);

/**
 * The suites that also run on Fastify over cleartext HTTP/2 (SSE_TEST_PLATFORM=fastify-h2c):
 * those whose clients are the raw reader, `fetch` or `eventsource` (which speak HTTP/2
 * to an h2c app through the helpers). Left out: suites that write HTTP/1.1 by hand on
 * sockets or assert HTTP/1.1 headers (headers, backpressure, hub-slow-client,
 * disconnect, shutdown-idle-sockets, nest-sse-parity's HEAD over node:http); their
 * HTTP/2 counterparts (no Connection header, flow control, RST_STREAM, GOAWAY at
 * shutdown) are in test/e2e/http2.spec.ts.
 */
const FASTIFY_H2C = e2e([
  'smoke',
  'framing',
  'completion',
  'compression',
  'errors-before-stream',
  'heartbeat',
  'hub-delivery',
  'hub-replay',
  'hub-shutdown',
  'auth',
  'auth-post',
  'schedule',
  'shutdown',
  'lifecycle-final-word',
  'hub-first-connect',
  'testing-kit',
  'metrics-opentelemetry',
  'health-terminus',
]);

export default {
  testTimeout: 20000,
  projects: [
    { ...base, displayName: 'express' },
    {
      ...base,
      displayName: 'fastify',
      testMatch: FASTIFY,
      setupFiles: ['<rootDir>/test/platforms/fastify.cjs'],
    },
    {
      ...base,
      displayName: 'fastify-h2c',
      testMatch: FASTIFY_H2C,
      setupFiles: ['<rootDir>/test/platforms/fastify-h2c.cjs'],
    },
  ],
};
