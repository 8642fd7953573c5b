import type { INestApplication, Type } from '@nestjs/common';
import { Test } from '@nestjs/testing';
import { DocumentBuilder, SwaggerModule, type OpenAPIObject } from '@nestjs/swagger';
import { SseModule } from 'nestjs-event-stream';
import { documentEventStreams } from 'nestjs-event-stream/openapi';
import { FeedController } from './feed.controller.js';
import { LazyFeedController } from './lazy-feed.controller.js';

/** The feed app's document as `SwaggerModule.createDocument()` builds it for `version`, before and after `documentEventStreams()`. */
export interface FeedDocuments {
  created: OpenAPIObject;
  documented: OpenAPIObject;
}

/**
 * Builds the OpenAPI document of `controllers` (default: `FeedController` and
 * `LazyFeedController`) for `version` (e.g. '3.0.0'); the app never listens.
 */
export async function buildFeedDocuments(
  version: string,
  controllers: Type<unknown>[] = [FeedController, LazyFeedController],
): Promise<FeedDocuments> {
  const moduleRef = await Test.createTestingModule({
    imports: [SseModule.forRoot({})],
    controllers,
  }).compile();
  const app: INestApplication = moduleRef.createNestApplication({ logger: false });
  try {
    const config = new DocumentBuilder().setTitle('Feed').setOpenAPIVersion(version).build();
    const created = SwaggerModule.createDocument(app, config);
    return { created, documented: documentEventStreams(created) };
  } finally {
    await app.close();
  }
}
