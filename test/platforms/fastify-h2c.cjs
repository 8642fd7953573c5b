/** The jest project `fastify-h2c`: the e2e suites it selects run on @nestjs/platform-fastify over cleartext HTTP/2 (see test/utils/test-app.ts). */
process.env.SSE_TEST_PLATFORM = 'fastify-h2c';
