import { Logger } from '@nestjs/common';
import { createSampleApp } from './bootstrap.js';
import { SampleConfigError } from './config/sample-config.js';

const logger = new Logger('Sample');
const HUB_NAMES = { memory: 'in memory', redis: 'Redis', postgres: 'PostgreSQL', nats: 'NATS JetStream' } as const;

async function main(): Promise<void> {
  const { app, config } = await createSampleApp(process.env);
  app.enableShutdownHooks(); // SIGTERM / SIGINT: every stream ends, then the process exits
  await app.listen(config.port, config.host);
  const host = config.host === '0.0.0.0' || config.host === '::' ? 'localhost' : config.host;
  const { port } = app.getHttpServer().address() as { port: number };
  const scheme = config.http2 ? 'https' : 'http';
  const transport = config.http2 ? 'Fastify, HTTP/2 over TLS' : config.platform === 'fastify' ? 'Fastify' : 'Express';
  logger.log(
    `Open ${scheme}://${host.includes(':') ? `[${host}]` : host}:${port}/ (${transport}; hub: ${HUB_NAMES[config.broker]})`,
  );
}

main().catch((error: unknown) => {
  // A configuration error says all there is to say; anything else gets its stack.
  const stack = error instanceof Error && !(error instanceof SampleConfigError) ? error.stack : undefined;
  logger.error(error instanceof Error ? error.message : String(error), stack);
  process.exit(1);
});
