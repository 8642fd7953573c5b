import { Validator } from '@seriousme/openapi-schema-validator';
import { documentEventStreams, SSE_EVENTS_EXTENSION, SSE_ITEM_SCHEMA_EXTENSION } from 'nestjs-event-stream/openapi';

/** A `text/event-stream` media type as `@ApiEventStream()` writes it: one `tick` event, the final word, a control block. */
const itemSchema = () => ({
  description: 'One block of the stream.',
  oneOf: [
    {
      title: 'tick',
      description: 'A tick.',
      type: 'object',
      properties: {
        event: { type: 'string', const: 'tick' },
        data: {
          type: 'string',
          contentMediaType: 'application/json',
          contentSchema: { $ref: '#/components/schemas/TickDto' },
        },
        id: { type: 'string' },
        retry: { type: 'integer', minimum: 0 },
      },
      required: ['event', 'data'],
    },
    {
      title: 'message',
      type: 'object',
      properties: { event: { type: 'string', const: 'message' }, data: { type: 'string' } },
      required: ['data'],
    },
    {
      title: 'retry or id only',
      type: 'object',
      properties: { id: { type: 'string' }, retry: { type: 'integer', minimum: 0 } },
      additionalProperties: false,
    },
  ],
});

function documentOf(openapi: string, media: Record<string, unknown> = { itemSchema: itemSchema() }) {
  return {
    openapi,
    info: { title: 'Ticks', version: '1.0.0' },
    paths: {
      '/ticks': {
        get: {
          responses: {
            '200': { description: 'Ticks.', content: { 'text/event-stream': media } },
            '503': { description: 'Busy.' },
          },
        },
      },
      '/health': {
        get: {
          responses: {
            '200': { description: 'OK.', content: { 'application/json': { schema: { type: 'object' } } } },
          },
        },
      },
    },
    components: {
      schemas: {
        TickDto: { type: 'object', properties: { n: { type: 'integer' } }, required: ['n'] },
      },
    },
  };
}

type Doc = ReturnType<typeof documentOf>;
const streamOf = (document: Doc) =>
  document.paths['/ticks'].get.responses['200'].content['text/event-stream'] as Record<string, unknown>;

async function expectValid(document: object): Promise<void> {
  const result = await new Validator().validate(document as Record<string, unknown>);
  expect(result.errors).toBeUndefined();
  expect(result.valid).toBe(true);
}

describe('documentEventStreams()', () => {
  it('keeps the itemSchema of an OpenAPI 3.2 document, which validates as 3.2', async () => {
    const document = documentOf('3.2.0');
    const documented = documentEventStreams(document);
    expect(documented).toEqual(document);
    expect(streamOf(documented).itemSchema).toEqual(itemSchema());
    await expectValid(documented);
  });

  it.each(['3.0.3', '3.1.0'])('an OpenAPI %s document with an itemSchema is not valid before it', async (openapi) => {
    const result = await new Validator().validate(documentOf(openapi));
    expect(result.valid).toBe(false);
  });

  it('describes a 3.1 stream as a string with the data schema of each event in x-sse-events (contentMediaType, contentSchema)', async () => {
    const documented = documentEventStreams(documentOf('3.1.0'));
    const stream = streamOf(documented);
    expect(stream.itemSchema).toBeUndefined();
    expect(stream.schema).toEqual({
      type: 'string',
      description: expect.stringContaining('`tick` (JSON), `message` (text)'),
    });
    expect(stream[SSE_EVENTS_EXTENSION]).toEqual({
      tick: {
        type: 'string',
        description: 'A tick.',
        contentMediaType: 'application/json',
        contentSchema: { $ref: '#/components/schemas/TickDto' },
      },
      message: { type: 'string' },
    });
    await expectValid(documented);
  });

  it('describes a 3.0 stream with x-content-media-type and x-content-schema, which 3.0 schemas allow', async () => {
    const documented = documentEventStreams(documentOf('3.0.3'));
    const stream = streamOf(documented);
    expect(stream.itemSchema).toBeUndefined();
    expect((stream[SSE_EVENTS_EXTENSION] as Record<string, unknown>).tick).toEqual({
      type: 'string',
      description: 'A tick.',
      'x-content-media-type': 'application/json',
      'x-content-schema': { $ref: '#/components/schemas/TickDto' },
    });
    await expectValid(documented);
  });

  it('moves a 3.2 media type description into the schema of a 3.0 document', async () => {
    const documented = documentEventStreams(
      documentOf('3.0.0', { description: 'Every second.', itemSchema: itemSchema() }),
    );
    const stream = streamOf(documented);
    expect(stream.description).toBeUndefined();
    expect((stream.schema as { description: string }).description).toMatch(/^Every second\. Server-Sent Events/);
    await expectValid(documented);
  });

  it('keeps an itemSchema it cannot read the events of in x-sse-item-schema', async () => {
    const foreign = { type: 'object', properties: { data: { type: 'string' } } };
    const documented = documentEventStreams(documentOf('3.1.0', { itemSchema: foreign }));
    expect(streamOf(documented)[SSE_ITEM_SCHEMA_EXTENSION]).toEqual(foreign);
    expect(streamOf(documented)[SSE_EVENTS_EXTENSION]).toBeUndefined();
    await expectValid(documented);
  });

  it.each(['3.0.3', '3.1.0', '3.2.0'])('is idempotent and leaves its input as it was (%s)', (openapi) => {
    const document = documentOf(openapi);
    const before = structuredClone(document);
    const once = documentEventStreams(document);
    expect(document).toEqual(before);
    expect(once).not.toBe(document);
    expect(documentEventStreams(once)).toEqual(once);
  });

  it('leaves every other response and media type alone', () => {
    const documented = documentEventStreams(documentOf('3.0.3'));
    expect(documented.paths['/health']).toEqual(documentOf('3.0.3').paths['/health']);
    expect(documented.paths['/ticks'].get.responses['503']).toEqual({ description: 'Busy.' });
    expect(documented.components).toEqual(documentOf('3.0.3').components);
  });

  it('rewrites the responses of components and webhooks too', () => {
    const response = { description: 'Ticks.', content: { 'text/event-stream': { itemSchema: itemSchema() } } };
    const documented = documentEventStreams({
      openapi: '3.1.0',
      info: { title: 'T', version: '1' },
      components: { responses: { Ticks: structuredClone(response) } },
      webhooks: { ticks: { post: { responses: { '200': structuredClone(response) } } } },
    });
    expect(documented.components.responses.Ticks.content['text/event-stream']).not.toHaveProperty('itemSchema');
    expect(documented.webhooks.ticks.post.responses['200'].content['text/event-stream']).toHaveProperty(
      SSE_EVENTS_EXTENSION,
    );
  });

  it.each([
    [{ swagger: '2.0' }, 'undefined'],
    [{ openapi: '4.0.0' }, '"4.0.0"'],
  ])('refuses a document that is not OpenAPI 3.x, saying how to set the version', (document, shown) => {
    expect(() => documentEventStreams(document as { openapi: string })).toThrow(
      `documentEventStreams() takes an OpenAPI 3.x document (SwaggerModule.createDocument()), got "openapi": ${shown}. Set the version with new DocumentBuilder().setOpenAPIVersion('3.2.0').`,
    );
  });
});
