import { randomUUID } from 'node:crypto';
import { openEventStream, type OpenEventStreamOptions, type TestEventStream } from 'nestjs-event-stream/testing';
import { DemoTextGenerator } from '../../sample/src/assistant/demo-text.generator.js';
import { demoAnswer, demoAnswerTokens, MAX_PROMPT_LENGTH } from '../../sample/src/assistant/demo-answer.js';
import { parseSampleConfig, SampleConfigError } from '../../sample/src/config/sample-config.js';
import { callSample, startSample, type Answer, type RunningSample } from '../utils/sample-app.js';
import { bearer, SAMPLE_OTHER_TOKEN, SAMPLE_SUITE_ENV, useSample } from '../utils/sample-suite.js';
import { deleteKeys, randomPrefix, REDIS_URL } from '../utils/redis.js';

const PROMPT = 'How do resumable runs work?';
const ANSWER = demoAnswerTokens(PROMPT);
/** A word every 5 ms: an answer of about 190 words takes a second. */
const ENV = { ...SAMPLE_SUITE_ENV, ASSISTANT_TOKEN_MS: '5' };

/** The words of a stream's `token` events, in order. */
const tokensOf = (stream: TestEventStream) =>
  stream.events
    .filter((event) => event.type === 'token')
    .map((event) => (JSON.parse(event.data) as { text: string }).text);

/** The data of a stream's final word, if it has one. */
const finalWordOf = (stream: TestEventStream) => {
  const word = stream.events.filter((event) => event.type === 'sse-end').at(-1);
  return word && (JSON.parse(word.data) as Record<string, unknown>);
};

/** The headers of `POST /assistant/runs` for the demo user (or `token`'s) and run `id`. */
const askHeaders = (id: string, token?: string) => ({
  ...bearer(token),
  'content-type': 'application/json',
  'idempotency-key': id,
});

/** Resolves once `check()` holds: a state read every 10 ms (as the testing kit's waitForHub does), at most 5 s. */
async function until(what: string, check: () => boolean): Promise<void> {
  const deadline = Date.now() + 5000;
  while (!check()) {
    if (Date.now() > deadline) throw new Error(`Timed out waiting until ${what}.`);
    await new Promise((resolve) => setTimeout(resolve, 10));
  }
}

describe('the sample configuration of the assistant', () => {
  it('reads ASSISTANT_TOKEN_MS, 60 by default, from 1 to 10000 ms', () => {
    expect(parseSampleConfig({}).assistantTokenMs).toBe(60);
    expect(parseSampleConfig({ ASSISTANT_TOKEN_MS: '1' }).assistantTokenMs).toBe(1);
    expect(parseSampleConfig({ ASSISTANT_TOKEN_MS: '10000' }).assistantTokenMs).toBe(10_000);
  });

  it.each(['0', '10001', 'fast', '-5', '2.5'])('refuses ASSISTANT_TOKEN_MS=%s, naming it and the bounds', (value) => {
    const error = (() => {
      try {
        return parseSampleConfig({ ASSISTANT_TOKEN_MS: value });
      } catch (caught) {
        return caught;
      }
    })();
    expect(error).toBeInstanceOf(SampleConfigError);
    expect((error as SampleConfigError).problems).toEqual([
      `ASSISTANT_TOKEN_MS=${JSON.stringify(value)}: expected milliseconds from 1 to 10000.`,
    ]);
  });
});

describe('the demo answer', () => {
  it('is a fixed text with the prompt in it, split into words that join back to it exactly', () => {
    expect(ANSWER.join('')).toBe(demoAnswer(PROMPT));
    expect(demoAnswer(PROMPT)).toContain('“How do resumable runs work?”');
    expect(demoAnswer(PROMPT)).toContain('DemoTextGenerator, a deterministic stand-in for a language model');
    expect(demoAnswerTokens(`  ${PROMPT}\n`)).toEqual(ANSWER);
    expect(ANSWER.length).toBeGreaterThan(150);
    for (const token of ANSWER) expect(token).toMatch(/^\S+\s*$/);
  });
});

describe('the sample assistant (POST /assistant/runs, GET /assistant/runs/:id, POST /assistant/runs/:id/cancel)', () => {
  const suite = useSample(ENV);
  const generator = () => suite.sample.app.get(DemoTextGenerator);

  const ask = (id: string, prompt: unknown = PROMPT, options: OpenEventStreamOptions = {}) =>
    suite.stream('/assistant/runs', {
      method: 'POST',
      headers: askHeaders(id),
      body: JSON.stringify({ prompt }),
      ...options,
    });
  const resume = (id: string, options: OpenEventStreamOptions = {}) =>
    suite.stream(`/assistant/runs/${id}`, { headers: bearer(), ...options });
  const cancel = (id: string, token?: string): Promise<Answer> =>
    suite.call(`/assistant/runs/${id}/cancel`, { method: 'POST', headers: bearer(token) });

  it('streams the whole answer as token events, then the final word completed; the recording is served after the end', async () => {
    const id = randomUUID();
    const stream = await ask(id);
    expect(stream.status).toBe(200);
    expect(stream.headers['content-type']).toMatch(/^text\/event-stream/);
    await stream.waitForEnd();
    expect(tokensOf(stream)).toEqual(ANSWER);
    expect(finalWordOf(stream)).toEqual({ reason: 'completed' });

    const replay = await resume(id);
    await replay.waitForEnd();
    expect(tokensOf(replay)).toEqual(ANSWER);
    expect(finalWordOf(replay)).toEqual({ reason: 'completed' });
    const tokenIds = stream.events.filter((event) => event.type === 'token').map((event) => event.id);
    expect(replay.events.filter((event) => event.type === 'token').map((event) => event.id)).toEqual(tokenIds);

    const caughtUp = await resume(id, { lastEventId: tokenIds.at(-1) });
    await caughtUp.waitForEnd();
    expect(caughtUp.status).toBe(204);
  });

  it('resumes a client dropped mid-answer with Last-Event-ID: exactly the rest, nothing lost or repeated', async () => {
    const id = randomUUID();
    const first = await ask(id);
    await first.take(10, 'token');
    const seen = first.lastEventId;
    first.close();
    await first.ended;
    const cut = tokensOf(first).length;
    expect(cut).toBeLessThan(ANSWER.length);

    const rest = await resume(id, { lastEventId: seen });
    expect(rest.status).toBe(200);
    await rest.waitForEnd();
    expect(tokensOf(rest)).toEqual(ANSWER.slice(cut));
    expect(finalWordOf(rest)).toEqual({ reason: 'completed' });
    // The Last-Event-ID query parameter does the same, for clients that cannot set the header.
    const byQuery = await resume(`${id}?lastEventId=${encodeURIComponent(seen)}`);
    await byQuery.waitForEnd();
    expect(tokensOf(byQuery)).toEqual(ANSWER.slice(cut));
  });

  it('joins the run on a retried POST with the same Idempotency-Key (the typed client reconnecting): one generation', async () => {
    const id = randomUUID();
    const first = await ask(id);
    await first.take(5, 'token');
    expect(generator().generating).toBe(1);
    const seen = first.lastEventId;
    first.close();
    const cut = tokensOf(first).length;
    const retry = await ask(id, 'another prompt, ignored: the run exists', { lastEventId: seen });
    expect(retry.status).toBe(200);
    expect(generator().generating).toBe(1);
    await retry.waitForEnd();
    expect(tokensOf(retry)).toEqual(ANSWER.slice(cut));
    await until('the generation is over', () => generator().generating === 0);
  });

  it('cancels on Stop: the generator stops, the stream ends with outcome cancelled, no word after it is recorded', async () => {
    const id = randomUUID();
    const stream = await ask(id);
    await stream.take(3, 'token');
    const stopped = await cancel(id);
    expect(stopped.status).toBe(204);
    await stream.waitForEnd();
    expect(finalWordOf(stream)).toEqual({ reason: 'completed', outcome: 'cancelled' });
    await until('the generator has stopped', () => generator().generating === 0);
    const heard = tokensOf(stream);
    expect(heard.length).toBeLessThan(ANSWER.length);
    expect(heard).toEqual(ANSWER.slice(0, heard.length));

    // The recording, read after the end, is what the stream got: the generator wrote nothing more.
    const recording = await resume(id);
    await recording.waitForEnd();
    expect(tokensOf(recording)).toEqual(heard);
    expect(finalWordOf(recording)).toEqual({ reason: 'completed', outcome: 'cancelled' });
    const again = await cancel(id);
    expect(again.status).toBe(404);
    expect((again.json() as { message: string }).message).toBe(
      `no answer of yours with run id ${id} is running: it is over, or never started`,
    );
  });

  it('refuses bad input with 400 naming what is wrong, before any stream byte', async () => {
    const refusals: [options: OpenEventStreamOptions, message: unknown][] = [
      [
        { headers: { ...bearer(), 'content-type': 'application/json' }, body: JSON.stringify({ prompt: PROMPT }) },
        'the Idempotency-Key header is required: the id of the run (a UUID of your choice), to resume and stop the answer with',
      ],
      [
        { headers: askHeaders('not a valid id'), body: JSON.stringify({ prompt: PROMPT }) },
        `Invalid run id "not a valid id": use 1 to 128 letters, digits, '-' or '_' (a UUID is one).`,
      ],
      [{ headers: askHeaders(randomUUID()), body: JSON.stringify({ question: PROMPT }) }, ['prompt must be a string']],
      [
        { headers: askHeaders(randomUUID()), body: JSON.stringify({ prompt: '' }) },
        ['prompt must be 1 to 200 characters long (got 0)'],
      ],
      [
        { headers: askHeaders(randomUUID()), body: JSON.stringify({ prompt: 'x'.repeat(MAX_PROMPT_LENGTH + 1) }) },
        ['prompt must be 1 to 200 characters long (got 201)'],
      ],
      [{ headers: askHeaders(randomUUID()), body: JSON.stringify({ prompt: ' \n\t ' }) }, ['prompt must not be blank']],
    ];
    for (const [options, message] of refusals) {
      const answer = await suite.call('/assistant/runs', { method: 'POST', ...options });
      expect(answer.status).toBe(400);
      expect(answer.headers['content-type']).toMatch(/^application\/json/);
      expect((answer.json() as { message: unknown }).message).toEqual(message);
    }
    const badId = `Invalid run id "${'x'.repeat(129).slice(0, 64)}...": use 1 to 128 letters, digits, '-' or '_' (a UUID is one).`;
    const resumed = await suite.call(`/assistant/runs/${'x'.repeat(129)}`, { headers: bearer() });
    expect(resumed.status).toBe(400);
    expect((resumed.json() as { message: string }).message).toBe(badId);
    const cancelled = await cancel('x'.repeat(129));
    expect(cancelled.status).toBe(400);
    expect((cancelled.json() as { message: string }).message).toBe(badId);
    expect(generator().generating).toBe(0);
  });

  it('needs a token: a POST takes the Bearer header only (401 for none, a bad one, a cookie), the resume a token too', async () => {
    const id = randomUUID();
    const body = JSON.stringify({ prompt: PROMPT });
    const key = { 'idempotency-key': id };
    const credentials: Record<string, string>[] = [
      {},
      { authorization: 'Bearer nope' },
      { cookie: 'sse_token=demo-token' },
    ];
    for (const credential of credentials) {
      const headers = { 'content-type': 'application/json', ...key, ...credential };
      expect((await suite.call('/assistant/runs', { method: 'POST', headers, body })).status).toBe(401);
      expect((await suite.call(`/assistant/runs/${id}/cancel`, { method: 'POST', headers: credential })).status).toBe(
        401,
      );
    }
    expect((await suite.call(`/assistant/runs/${id}`)).status).toBe(401);
    expect(generator().generating).toBe(0);
  });

  it("keeps each user's runs to that user: another user's GET gets 204, its cancel 404, and the same id starts a run of its own", async () => {
    const id = randomUUID();
    const mine = await ask(id);
    await mine.take(2, 'token');
    const theirs = await resume(id, { headers: bearer(SAMPLE_OTHER_TOKEN) });
    await theirs.waitForEnd();
    expect(theirs.status).toBe(204);
    expect((await cancel(id, SAMPLE_OTHER_TOKEN)).status).toBe(404);

    const own = await ask(id, 'a question of their own', { headers: askHeaders(id, SAMPLE_OTHER_TOKEN) });
    await Promise.all([mine.waitForEnd(), own.waitForEnd()]);
    expect(tokensOf(mine)).toEqual(ANSWER);
    expect(tokensOf(own)).toEqual(demoAnswerTokens('a question of their own'));
  });
});

describe('the sample assistant on its own instance', () => {
  let sample: RunningSample | undefined;
  afterEach(async () => {
    await sample?.app.close();
    sample = undefined;
  });

  const ask = (running: RunningSample, id: string) =>
    openEventStream(running.app, '/assistant/runs', {
      method: 'POST',
      headers: askHeaders(id),
      body: JSON.stringify({ prompt: PROMPT }),
    });

  it('counts the POSTs of asking and stopping against POST_LIMIT: 429 with Retry-After past it', async () => {
    sample = await startSample({ ...ENV, POST_LIMIT: '2', POST_WINDOW_MS: '60000' });
    const id = randomUUID();
    const stream = await ask(sample, id);
    await stream.next('token');
    expect(
      (await callSample(sample, `/assistant/runs/${id}/cancel`, { method: 'POST', headers: bearer() })).status,
    ).toBe(204);
    await stream.waitForEnd();
    const refused = await ask(sample, randomUUID());
    await refused.waitForEnd();
    expect(refused.status).toBe(429);
    expect(Number(refused.headers['retry-after'])).toBeGreaterThan(0);
    expect(JSON.parse(refused.text)).toMatchObject({ statusCode: 429, error: 'Too Many Requests' });
  });

  it('stops a generation in progress when the app closes: its listeners get outcome shutdown, no timer is left', async () => {
    sample = await startSample({ ...ENV, ASSISTANT_TOKEN_MS: '50' });
    const generator = sample.app.get(DemoTextGenerator);
    const stream = await ask(sample, randomUUID());
    await stream.next('token');
    expect(generator.generating).toBe(1);
    await sample.app.close();
    sample = undefined;
    await stream.waitForEnd();
    expect(finalWordOf(stream)).toMatchObject({ reason: 'error', status: 503, outcome: 'shutdown' });
    expect(generator.generating).toBe(0);
  });
});

describe('the sample assistant on two instances sharing Redis (SSE_REDIS_URL)', () => {
  const prefix = randomPrefix('sample-assistant');
  const streams: TestEventStream[] = [];
  let a: RunningSample;
  let b: RunningSample;

  const start = () =>
    startSample({
      ...ENV,
      SSE_REDIS_URL: REDIS_URL,
      SSE_REDIS_PREFIX: prefix,
      ASSISTANT_TOKEN_MS: '10',
    });
  const open = async (on: RunningSample, path: string, options: OpenEventStreamOptions) => {
    const stream = await openEventStream(on.app, path, options);
    streams.push(stream);
    return stream;
  };
  const ask = (on: RunningSample, id: string) =>
    open(on, '/assistant/runs', { method: 'POST', headers: askHeaders(id), body: JSON.stringify({ prompt: PROMPT }) });

  beforeAll(async () => {
    [a, b] = await Promise.all([start(), start()]);
  });
  afterEach(() => streams.splice(0).forEach((stream) => stream.close()));
  afterAll(async () => {
    await Promise.all([a, b].map((instance) => instance?.app.close()));
    await deleteKeys(REDIS_URL, prefix);
  });

  it('resumes on B, with Last-Event-ID, an answer started on A: exactly the rest, from the one generator on A', async () => {
    const id = randomUUID();
    const onA = await ask(a, id);
    await onA.take(10, 'token');
    const seen = onA.lastEventId;
    onA.close();
    await onA.ended;
    const cut = tokensOf(onA).length;
    const onB = await open(b, `/assistant/runs/${id}`, { headers: bearer(), lastEventId: seen });
    expect(onB.status).toBe(200);
    await onB.waitForEnd();
    expect([...tokensOf(onA), ...tokensOf(onB)]).toEqual(ANSWER);
    expect(tokensOf(onB)).toEqual(ANSWER.slice(cut));
    expect(finalWordOf(onB)).toEqual({ reason: 'completed' });
    expect(b.app.get(DemoTextGenerator).generating).toBe(0);
    await until('the generation on A is over', () => a.app.get(DemoTextGenerator).generating === 0);
  });

  it('stops on B an answer generated on A: the generator on A stops, listeners on both get outcome cancelled', async () => {
    const id = randomUUID();
    const onA = await ask(a, id);
    await onA.take(2, 'token');
    const onB = await open(b, `/assistant/runs/${id}`, { headers: bearer() });
    await onB.next('token');
    const stopped = await callSample(b, `/assistant/runs/${id}/cancel`, { method: 'POST', headers: bearer() });
    expect(stopped.status).toBe(204);
    await Promise.all([onA.waitForEnd(), onB.waitForEnd()]);
    for (const stream of [onA, onB]) expect(finalWordOf(stream)).toEqual({ reason: 'completed', outcome: 'cancelled' });
    expect(tokensOf(onB)).toEqual(tokensOf(onA));
    expect(tokensOf(onA).length).toBeLessThan(ANSWER.length);
    await until('the generator on A has stopped', () => a.app.get(DemoTextGenerator).generating === 0);
    // Another user on B finds nothing under the same id.
    const theirs = await open(b, `/assistant/runs/${id}`, { headers: bearer(SAMPLE_OTHER_TOKEN) });
    await theirs.waitForEnd();
    expect(theirs.status).toBe(204);
  });
});
