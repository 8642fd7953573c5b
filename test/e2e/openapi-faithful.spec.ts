import { Ajv2020, type ValidateFunction } from 'ajv/dist/2020.js';
import { openEventStream, type TestEventStream } from 'nestjs-event-stream/testing';
import { callSample, startSample, type RunningSample } from '../utils/sample-app.js';
import { SAMPLE_PLATFORM } from '../utils/test-app.js';

// A document read as JSON, walked freely: its shape is what the tests assert.
// eslint-disable-next-line @typescript-eslint/no-explicit-any
type Json = Record<string, any>;

/** One item of a text/event-stream as OpenAPI 3.2 describes it: the string fields of a block, `retry` an integer. */
interface Block {
  event?: string;
  data?: string;
  id?: string;
  retry?: number;
}

const TOKEN = 'demo-token';
const DATE_TIME = /^\d{4}-\d\d-\d\dT\d\d:\d\d:\d\d(\.\d+)?(Z|[+-]\d\d:\d\d)$/;
const bearer = { authorization: `Bearer ${TOKEN}` };

/**
 * The blocks of a stream's text as an EventSource reads its fields: lines up
 * to a blank line, `data` lines joined with LF, one leading space dropped,
 * comments (`:`) skipped; a block of comments only is no item.
 */
function blocksOf(text: string): Block[] {
  const blocks: Block[] = [];
  for (const raw of text.split('\n\n').slice(0, -1)) {
    const block: Block = {};
    for (const line of raw.split('\n')) {
      if (line.startsWith(':')) continue;
      const colon = line.indexOf(':');
      const field = colon < 0 ? line : line.slice(0, colon);
      const value = colon < 0 ? '' : line.slice(colon + 1).replace(/^ /, '');
      if (field === 'data') block.data = block.data === undefined ? value : `${block.data}\n${value}`;
      else if (field === 'retry') block.retry = /^\d+$/.test(value) ? Number(value) : (value as never);
      else if (field === 'event' || field === 'id') block[field] = value;
      else throw new Error(`unexpected field ${JSON.stringify(field)} in ${JSON.stringify(raw)}`);
    }
    if (Object.keys(block).length > 0) blocks.push(block);
  }
  return blocks;
}

/** Checks blocks against a route's itemSchema, and each JSON `data` against its event's `contentSchema`. */
class StreamContract {
  private readonly ajv = new Ajv2020({ strict: true, allErrors: true });
  private readonly compiled = new Map<string, ValidateFunction>();

  constructor(readonly document: Json) {
    // OpenAPI's own keywords beside JSON Schema 2020-12 (the sample's DTOs have examples).
    this.ajv.addVocabulary(['example', 'xml', 'externalDocs', 'discriminator']);
    // The one format the sample's DTOs use (RFC 3339 date-time, as toISOString() writes it), checked, not ignored.
    this.ajv.addFormat('date-time', (value: string) => DATE_TIME.test(value) && !Number.isNaN(Date.parse(value)));
  }

  itemSchema(path: string): Json {
    return this.document.paths[path].get.responses['200'].content['text/event-stream'].itemSchema;
  }

  /** A schema of the document, compiled with `components.schemas` as `$defs`, its `$ref`s pointing there. */
  private compile(key: string, schema: Json): ValidateFunction {
    let validate = this.compiled.get(key);
    if (!validate) {
      const text = JSON.stringify({ ...schema, $defs: this.document.components.schemas });
      validate = this.ajv.compile(JSON.parse(text.replaceAll('"#/components/schemas/', '"#/$defs/')));
      this.compiled.set(key, validate);
    }
    return validate;
  }

  /** The problems of `blocks` on `path`: none when every block is an item of its stream, with the data its event says. */
  problems(path: string, blocks: readonly Block[]): string[] {
    const itemSchema = this.itemSchema(path);
    const item = this.compile(path, itemSchema);
    const problems: string[] = [];
    for (const block of blocks) {
      if (!item(block)) {
        problems.push(`${path} ${JSON.stringify(block)}: ${this.ajv.errorsText(item.errors)}`);
        continue;
      }
      if (block.data === undefined) continue;
      const name = block.event ?? 'message';
      const branch = itemSchema.oneOf.find((candidate: Json) => candidate.properties.event?.const === name);
      const { contentMediaType, contentSchema } = branch.properties.data;
      if (contentMediaType !== 'application/json') continue;
      const data = this.compile(`${path} ${name}`, contentSchema);
      if (!data(JSON.parse(block.data))) {
        problems.push(`${path} ${name} data ${block.data}: ${this.ajv.errorsText(data.errors)}`);
      }
    }
    return problems;
  }
}

describe(`the sample's streams send what its OpenAPI document says (${SAMPLE_PLATFORM})`, () => {
  let sample: RunningSample;
  let contract: StreamContract;
  let closed = false;

  beforeAll(async () => {
    sample = await startSample({ TICK_MS: '30', CLOCK_MS: '30', JOB_MS: '150', SSE_TOKENS: `demo:${TOKEN}` });
    const response = await fetch(`${sample.url}/api-json`);
    contract = new StreamContract((await response.json()) as Json);
  });
  afterAll(async () => {
    if (!closed) await sample.app.close();
  });

  it('compiles the itemSchema of every stream route with the JSON Schema 2020-12 draft, and refuses a wrong one', () => {
    for (const path of ['/ticks', '/rooms/{room}/events', '/jobs/{id}/events', '/clock', '/clock/{token}']) {
      expect(contract.problems(path, [])).toEqual([]);
    }
    const wrong = structuredClone(contract.itemSchema('/ticks'));
    wrong.oneOf[0].type = 'objekt';
    expect(() => new Ajv2020({ strict: false }).compile(wrong)).toThrow(/schema is invalid/);
  });

  it('every block the sample sends is an item of its stream: retry, id-only, events, sse-reset, sse-end with and without retry', async () => {
    const streams: [path: string, stream: TestEventStream][] = [];
    const open = async (documented: string, url: string, options: Parameters<typeof openEventStream>[2] = {}) => {
      const stream = await openEventStream(sample.app, url, { decode: 'text', ...options });
      expect(stream.status).toBe(200);
      streams.push([documented, stream]);
      return stream;
    };

    // Hub streams: the retry-only block, the id-only block of a first connect, live events; a reset for an unknown id.
    const ticks = await open('/ticks', '/ticks');
    await ticks.take(2, 'tick');
    const reset = await open('/ticks', '/ticks', { lastEventId: 'unknown.1' });
    await reset.next('sse-reset');
    const room = await open('/rooms/{room}/events', '/rooms/lobby/events', { headers: bearer });
    const roomReset = await open('/rooms/{room}/events', '/rooms/lobby/events?lastEventId=nope.7', {
      headers: bearer,
    });
    await roomReset.next('sse-reset');
    await room.waitForText(/^id: .+$/m);
    const posted = await callSample(sample, '/rooms/lobby/messages', {
      method: 'POST',
      headers: { ...bearer, 'content-type': 'application/json' },
      body: JSON.stringify({ text: 'line one' }),
    });
    expect(posted.status).toBe(201);
    await room.next('message');

    // A job: progress, done, then the final word `completed` (no retry), and 204 once it is finished.
    const started = await callSample(sample, '/jobs', { method: 'POST', headers: bearer });
    expect(started.status).toBe(202);
    const { id } = started.json() as { id: string };
    const job = await open('/jobs/{id}/events', `/jobs/${id}/events`, { headers: bearer });
    await job.waitForEnd();
    expect(job.text).toMatch(/event: done\n/);
    expect(job.text).toMatch(/event: sse-end\ndata: \{"reason":"completed"\}\n\n$/);
    const finished = await callSample(sample, `/jobs/${id}/events`, { headers: bearer });
    expect(finished.status).toBe(204);
    expect(Object.keys(contract.document.paths['/jobs/{id}/events'].get.responses)).toContain('204');

    // The clock, by token in the path and by header.
    const clock = await open('/clock/{token}', `/clock/${TOKEN}`);
    const clockByHeader = await open('/clock', '/clock', { headers: bearer });
    await Promise.all([clock.take(2, 'time'), clockByHeader.next('time')]);

    // A shutdown ends every open stream with `sse-end` {"reason":"shutdown"} and a retry: hint.
    const closing = sample.app.close();
    closed = true;
    await Promise.all(streams.map(([, stream]) => stream.waitForEnd()));
    await closing;
    expect(ticks.text).toMatch(/event: sse-end\nretry: \d+\ndata: \{"reason":"shutdown"\}\n\n$/);

    const seen = new Set<string>();
    const problems: string[] = [];
    for (const [path, stream] of streams) {
      const blocks = blocksOf(stream.text);
      problems.push(...contract.problems(path, blocks));
      for (const block of blocks) {
        // A block without data is `retry` or `id` only; an event is its name, `+retry` when it carries a hint.
        const name = block.data === undefined ? Object.keys(block).join('+') : (block.event ?? 'message');
        seen.add(block.data !== undefined && block.retry !== undefined ? `${name}+retry` : name);
      }
    }
    expect(problems).toEqual([]);
    // Each kind of block the document describes was seen, so each was checked.
    expect([...seen].sort()).toEqual(
      ['done', 'id', 'message', 'progress', 'retry', 'sse-end', 'sse-end+retry', 'sse-reset', 'tick', 'time'].sort(),
    );
  });
});
