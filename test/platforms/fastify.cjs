/** The jest project `fastify`: the e2e suites it selects run on @nestjs/platform-fastify over HTTP/1.1 (see test/utils/test-app.ts). */
process.env.SSE_TEST_PLATFORM = 'fastify';
