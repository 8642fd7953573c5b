import { Controller } from '@nestjs/common';
import { Validator } from '@seriousme/openapi-schema-validator';
import type { OpenAPIObject } from '@nestjs/swagger';
import { EventStream } from 'nestjs-event-stream';
import { ApiEventStream, SSE_EVENTS_EXTENSION } from 'nestjs-event-stream/openapi';
import { of } from 'rxjs';
import { buildFeedDocuments } from '../src/openapi/openapi-document.js';
import { startSample, type RunningSample } from '../utils/sample-app.js';
import { SAMPLE_PLATFORM } from '../utils/test-app.js';

// A document read as JSON, walked freely: its shape is what the tests assert.
// eslint-disable-next-line @typescript-eslint/no-explicit-any
type Json = Record<string, any>;

/** The schema of `components.schemas` a `$ref` names; fails the test when it names none. */
function resolve(document: Json, ref: string): Json {
  const name = /^#\/components\/schemas\/(.+)$/.exec(ref)?.[1];
  const schema = name === undefined ? undefined : document.components?.schemas?.[name];
  if (!schema) throw new Error(`${ref} resolves to no schema of components.schemas`);
  return schema;
}

async function validate(document: object): Promise<{ valid: boolean; errors?: unknown }> {
  return new Validator().validate(document as Record<string, unknown>);
}

/** The OpenAPI 3.2 item schema of one stream route's 200 response. */
const itemSchemaOf = (document: Json, path: string, method = 'get'): Json =>
  document.paths[path][method].responses['200'].content['text/event-stream'].itemSchema;

/** The events of an item schema: event name → the schema its JSON data resolves to (`text` for a text payload). */
function eventsOf(document: Json, itemSchema: Json): Record<string, Json | 'text'> {
  const events: Record<string, Json | 'text'> = {};
  for (const branch of itemSchema.oneOf) {
    if (!branch.properties.data) continue;
    const { contentMediaType, contentSchema } = branch.properties.data;
    events[branch.properties.event.const] =
      contentMediaType === 'application/json' ? resolve(document, contentSchema.$ref) : 'text';
  }
  return events;
}

describe(`the sample's OpenAPI document (${SAMPLE_PLATFORM})`, () => {
  let sample: RunningSample;
  let document: Json;

  beforeAll(async () => {
    sample = await startSample({});
    const response = await fetch(`${sample.url}/api-json`);
    expect(response.status).toBe(200);
    expect(response.headers.get('content-type')).toMatch(/^application\/json/);
    document = (await response.json()) as Json;
  });
  afterAll(() => sample.app.close());

  it('is a valid OpenAPI 3.2 document', async () => {
    expect(document.openapi).toBe('3.2.0');
    expect(await validate(document)).toEqual({ valid: true });
  });

  it.each([
    ['/ticks', { tick: ['n', 'at'] }, true],
    ['/rooms/{room}/events', { message: ['room', 'text', 'user', 'at'] }, true],
    ['/jobs/{id}/events', { progress: ['percent'], done: ['id'] }, false],
    ['/clock', { time: ['time'] }, false],
    ['/clock/{token}', { time: ['time'] }, false],
  ])('shows %s as text/event-stream with its events, their DTO schemas and the final word', (path, own, hub) => {
    const itemSchema = itemSchemaOf(document, path);
    const events = eventsOf(document, itemSchema);
    const names = [...Object.keys(own), ...(hub ? ['sse-reset'] : []), 'sse-end'];
    expect(Object.keys(events)).toEqual(names);
    for (const [name, properties] of Object.entries(own)) {
      expect(Object.keys((events[name] as Json).properties)).toEqual(properties);
    }
    expect((events['sse-end'] as Json).properties.reason.enum).toEqual(
      expect.arrayContaining(['completed', 'shutdown', 'lifetime', 'error']),
    );
    if (hub) expect((events['sse-reset'] as Json).properties.reason.enum).toEqual(['expired', 'unknown']);
    // Every event but `message` names itself; the last branch is the retry:/id:-only block, which dispatches nothing.
    for (const branch of itemSchema.oneOf.slice(0, -1)) {
      expect(branch.required).toEqual(branch.title === 'message' ? ['data'] : ['event', 'data']);
    }
    expect(itemSchema.oneOf.at(-1)).toMatchObject({
      additionalProperties: false,
      properties: { retry: { type: 'integer' } },
    });
  });

  it('shows the refusals of each stream, with Retry-After on 429 and 503', () => {
    const statuses = (path: string) => Object.keys(document.paths[path].get.responses);
    expect(statuses('/ticks')).toEqual(['200', '429', '503']);
    expect(statuses('/rooms/{room}/events')).toEqual(expect.arrayContaining(['200', '401', '429', '503']));
    expect(statuses('/jobs/{id}/events')).toEqual(['200', '204', '401', '429', '503']);
    expect(document.paths['/ticks'].get.responses['429'].headers['Retry-After'].schema).toEqual({ type: 'integer' });
  });

  it('shows how each stream takes its credential and Last-Event-ID, and the rooms 400', () => {
    const parameters = (path: string) =>
      document.paths[path].get.parameters.map((parameter: Json) => `${parameter.in} ${parameter.name}`).sort();
    const resume = ['header Last-Event-ID', 'query lastEventId'];
    expect(parameters('/ticks')).toEqual(resume);
    expect(parameters('/rooms/{room}/events')).toEqual(['path room', ...resume, 'query ticket', 'query token'].sort());
    expect(parameters('/jobs/{id}/events')).toEqual(['path id', 'query ticket', 'query token']);
    expect(parameters('/clock')).toEqual(['query ticket', 'query token']);
    expect(parameters('/clock/{token}')).toEqual(['path token']);
    const security = (path: string, method = 'get') => document.paths[path][method].security;
    for (const path of ['/rooms/{room}/events', '/jobs/{id}/events', '/clock']) {
      expect(security(path)).toEqual([{ bearer: [] }]);
    }
    expect(security('/rooms/{room}/messages', 'post')).toEqual([{ bearer: [] }]);
    expect(security('/jobs', 'post')).toEqual([{ bearer: [] }]);
    expect(security('/ticks')).toBeUndefined();
    expect(security('/clock/{token}')).toBeUndefined();
    expect(document.components.securitySchemes.bearer).toMatchObject({ type: 'http', scheme: 'bearer' });
    expect(document.paths['/rooms/{room}/events'].get.responses['400'].description).toContain('room name');
  });

  it('leaves the other routes JSON', () => {
    expect(Object.keys(document.paths['/jobs'].post.responses)).toContain('202');
    expect(JSON.stringify(document.paths['/tickets'])).not.toContain('text/event-stream');
  });

  it(
    SAMPLE_PLATFORM === 'express'
      ? 'serves the Swagger UI at /api'
      : 'serves no Swagger UI on Fastify (it would need @fastify/static)',
    async () => {
      const response = await fetch(`${sample.url}/api`);
      if (SAMPLE_PLATFORM === 'express') {
        expect(response.status).toBe(200);
        expect(await response.text()).toContain('swagger-ui');
      } else {
        expect(response.status).toBe(404);
        await response.arrayBuffer();
      }
    },
  );
});

describe('documents of other OpenAPI versions (test/src/openapi)', () => {
  it.each(['3.0.3', '3.1.1'])(
    'an OpenAPI %s document is invalid with itemSchema, and valid once documentEventStreams() describes its streams',
    async (version) => {
      const { created, documented } = await buildFeedDocuments(version);
      expect((await validate(created)).valid).toBe(false);
      expect(await validate(documented)).toEqual({ valid: true });
      expect(JSON.stringify(documented)).not.toContain('itemSchema');
    },
  );

  it('a 3.1 document keeps each event data schema in x-sse-events, its $refs resolving into components', async () => {
    const { documented } = await buildFeedDocuments('3.1.1');
    const stream = (documented as Json).paths['/feed/{room}'].get.responses['200'].content['text/event-stream'];
    expect(stream.schema.type).toBe('string');
    expect(stream.schema.description).toContain(
      '`note` (JSON), `line` (text), `count` (JSON), `batch` (JSON), `sse-reset` (JSON), `sse-end` (JSON)',
    );
    const events = stream[SSE_EVENTS_EXTENSION];
    expect(Object.keys(events)).toEqual(['note', 'line', 'count', 'batch', 'sse-reset', 'sse-end']);
    expect(events.note).toEqual({
      type: 'string',
      description: 'A note was posted.',
      contentMediaType: 'application/json',
      contentSchema: { $ref: '#/components/schemas/NoteDto' },
    });
    expect(events.count.contentSchema).toEqual({ type: 'number' });
    expect(events.batch.contentSchema).toEqual({ type: 'array', items: { $ref: '#/components/schemas/ItemDto' } });
    expect(events.line).toEqual({ type: 'string', description: expect.stringContaining('written as it is') });
    // The nested DTO lands in components too, and 3.1's nullable is JSON Schema's.
    const note = resolve(documented, events.note.contentSchema.$ref);
    expect(
      resolve(documented, note.properties.author.$ref ?? note.properties.author.allOf[0].$ref).properties.id,
    ).toBeDefined();
    expect(JSON.stringify(note.properties.editedAt)).toContain('null');
  });

  it('a 3.0 document names the JSON content with x-content-media-type and x-content-schema', async () => {
    const { documented } = await buildFeedDocuments('3.0.3');
    const events = (documented as Json).paths['/feed/{room}'].get.responses['200'].content['text/event-stream'][
      SSE_EVENTS_EXTENSION
    ];
    expect(events['sse-end']).toEqual({
      type: 'string',
      description: expect.stringContaining('final word'),
      'x-content-media-type': 'application/json',
      'x-content-schema': { $ref: '#/components/schemas/SseEndData' },
    });
    expect(resolve(documented, events['sse-end']['x-content-schema'].$ref).properties.reason).toBeDefined();
  });

  it('a 3.2 document of a POST stream documents `message`, which may come without its event: field', async () => {
    const { created, documented } = await buildFeedDocuments('3.2.0');
    expect(documented).toEqual(created);
    expect(await validate(documented)).toEqual({ valid: true });
    const itemSchema = itemSchemaOf(documented as OpenAPIObject as Json, '/feed', 'post');
    expect(itemSchema.oneOf.map((branch: Json) => branch.title)).toEqual(['message', 'retry or id only']);
    expect(itemSchema.oneOf[0].required).toEqual(['data']);
    expect(Object.keys((documented as Json).paths['/feed'].post.responses)).toEqual(['200']);
  });

  it('a lazy type (() => Dto) is the $ref of its class, also when the class is defined after the decorator applied', async () => {
    const { created } = await buildFeedDocuments('3.2.0');
    expect(await validate(created)).toEqual({ valid: true });
    const doc = created as OpenAPIObject as Json;
    const dataOf = (path: string) =>
      Object.fromEntries(
        itemSchemaOf(doc, path)
          .oneOf.filter((branch: Json) => branch.properties.data)
          .map((branch: Json) => [branch.title, branch.properties.data]),
      );
    const defined = dataOf('/lazy/defined');
    expect(defined.note.contentSchema).toEqual({ $ref: '#/components/schemas/NoteDto' });
    expect(defined.item.contentSchema).toEqual({ $ref: '#/components/schemas/ItemDto' });
    expect(defined.items.contentSchema).toEqual({ type: 'array', items: { $ref: '#/components/schemas/ItemDto' } });
    expect(JSON.stringify(doc)).not.toContain('#/components/schemas/type');
    const later = dataOf('/lazy/later');
    expect(JSON.parse(JSON.stringify(later.later.contentSchema))).toEqual({ $ref: '#/components/schemas/LaterDto' });
    expect(resolve(doc, '#/components/schemas/LaterDto').properties.at).toEqual({
      type: 'string',
      format: 'date-time',
    });
  });

  it('a lazy type whose class is still not defined when the document is built throws, naming the route', async () => {
    let Missing: unknown;
    @Controller('missing')
    class MissingController {
      @ApiEventStream({ events: { gone: () => Missing as never } })
      @EventStream()
      gone() {
        return of();
      }
    }
    await expect(buildFeedDocuments('3.2.0', [MissingController])).rejects.toThrow(
      '@ApiEventStream() on MissingController.gone: the lazy type (type: () => Dto) of event "gone" returned no class when the document was built, got undefined.',
    );
  });

  it('a schema of type string is text written as it is, without contentMediaType; an array of strings is JSON', async () => {
    const { created } = await buildFeedDocuments('3.2.0');
    const branches = itemSchemaOf(created as OpenAPIObject as Json, '/lazy/defined').oneOf;
    const data = (title: string) => branches.find((branch: Json) => branch.title === title).properties.data;
    expect(data('mood')).toEqual({
      description: 'Text, written as it is (one `data:` line per line).',
      type: 'string',
      enum: ['calm', 'busy'],
    });
    expect(data('tags')).toEqual({
      type: 'string',
      contentMediaType: 'application/json',
      contentSchema: { type: 'array', items: { type: 'string' } },
    });
  });

  it('documents the optional Last-Event-ID header and lastEventId query parameter of hub streams, unless lastEventId: false', async () => {
    const { documented } = await buildFeedDocuments('3.1.1');
    const parameters = (path: string) =>
      ((documented as Json).paths[path].get.parameters ?? []).map((parameter: Json) => [
        parameter.in,
        parameter.name,
        parameter.required,
        parameter.schema,
      ]);
    const resume = [
      ['header', 'Last-Event-ID', false, { type: 'string' }],
      ['query', 'lastEventId', false, { type: 'string' }],
    ];
    expect(parameters('/lazy/later')).toEqual(resume);
    expect(parameters('/feed/{room}')).toEqual(expect.arrayContaining(resume));
    expect(parameters('/lazy/quiet')).toEqual([]);
    expect(parameters('/lazy/defined')).toEqual([]);
    expect(await validate(documented)).toEqual({ valid: true });
  });
});
