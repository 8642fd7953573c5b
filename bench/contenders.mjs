/**
 * The contenders, in table order. Adding one is one server file in servers/
 * (same contract as the others: GET /events, POST /publish, GET /stats; see
 * servers/server-kit.mjs) and one line here.
 *
 * - `baseline`: every other figure is shown as a ratio to this one.
 * - `targets`: the targets are checked against this contender.
 * - `env` (optional): environment of the server process, e.g.
 *   `{ NESTJS_SSE_DIST: '/abs/path/index.js' }` to benchmark another build, or
 *   `{ BENCH_PLATFORM: 'fastify' }` to run a Nest server on platform-fastify.
 *
 * `node bench/run.mjs --contenders other-list.mjs` runs another list.
 */
const FASTIFY = { BENCH_PLATFORM: 'fastify' };

export const contenders = [
  { id: 'raw', name: 'node:http', server: 'servers/raw-http.mjs', baseline: true },
  { id: 'nest', name: 'Nest @Sse()', server: 'servers/nest-builtin-sse.mjs' },
  { id: 'nestjs-event-stream', name: 'nestjs-event-stream', server: 'servers/nestjs-event-stream.mjs', targets: true },
  {
    id: 'nestjs-event-stream-metrics',
    name: 'nestjs-event-stream + Prometheus metrics',
    server: 'servers/nestjs-event-stream.mjs',
    env: { BENCH_METRICS: 'prometheus' },
  },
  { id: 'nest-fastify', name: 'Nest @Sse() on Fastify', server: 'servers/nest-builtin-sse.mjs', env: FASTIFY },
  {
    id: 'nestjs-event-stream-fastify',
    name: 'nestjs-event-stream on Fastify',
    server: 'servers/nestjs-event-stream.mjs',
    env: FASTIFY,
  },
  { id: 'nestjs-event-stream-redis', name: 'nestjs-event-stream + Redis', server: 'servers/nestjs-event-stream-redis.mjs' },
];
