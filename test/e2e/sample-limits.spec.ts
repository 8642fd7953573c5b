import type { IncomingHttpHeaders } from 'node:http';
import type { AddressInfo } from 'node:net';
import { SAMPLE_PLATFORM } from '../utils/test-app.js';
import { createSampleApp, type SampleApp } from '../../sample/src/bootstrap.js';
import { SampleConfigError, type SampleEnv } from '../../sample/src/config/sample-config.js';
import { JobsService } from '../../sample/src/jobs/jobs.service.js';
import { openRawStream } from '../utils/raw-stream.js';

const TOKEN = 'demo-token';
const OTHER_TOKEN = 'ann-token';
const ENV: SampleEnv = { TICK_MS: '1000', SSE_TOKENS: `demo:${TOKEN},ann:${OTHER_TOKEN}` };
const bearer = (token = TOKEN) => ({ authorization: `Bearer ${token}` });

interface Answer {
  status: number;
  headers: IncomingHttpHeaders;
  text: string;
  json: () => unknown;
}

/** Boots the real sample in process on an ephemeral port. */
async function startSample(env: SampleEnv): Promise<SampleApp & { url: string }> {
  const sample = await createSampleApp({ PLATFORM: SAMPLE_PLATFORM, ...env }, { logger: false });
  await sample.app.listen(0, '127.0.0.1');
  const { port } = sample.app.getHttpServer().address() as AddressInfo;
  return { ...sample, url: `http://127.0.0.1:${port}` };
}

/** The sample's caps on what one user can take: jobs running at once, and POSTs per window. */
describe('the sample app under one greedy user', () => {
  let sample: SampleApp & { url: string };

  async function send(path: string, token = TOKEN, body?: unknown): Promise<Answer> {
    const response = await openRawStream(sample.url + path, {
      method: 'POST',
      headers: { ...bearer(token), ...(body === undefined ? {} : { 'content-type': 'application/json' }) },
      body: body === undefined ? undefined : JSON.stringify(body),
    });
    await response.ended;
    return {
      status: response.status,
      headers: response.headers,
      text: response.text,
      json: () => JSON.parse(response.text),
    };
  }

  afterEach(async () => {
    await sample?.app.close();
  });

  it('lets a user run 3 jobs at once by default: the next answers 429 with why and when to retry, other users still start theirs', async () => {
    sample = await startSample({ ...ENV, JOB_MS: '60000' });
    for (let i = 0; i < 3; i++) expect((await send('/jobs')).status).toBe(202);
    const refused = await send('/jobs');
    expect(refused.status).toBe(429);
    expect(refused.json()).toEqual({
      statusCode: 429,
      error: 'Too Many Requests',
      message: 'at most 3 jobs per user run at once; wait for one to finish',
    });
    expect(Number(refused.headers['retry-after'])).toBeGreaterThan(0);
    expect(Number(refused.headers['retry-after'])).toBeLessThanOrEqual(60);
    expect((await send('/jobs', OTHER_TOKEN)).status).toBe(202);
    expect(sample.app.get(JobsService).running).toBe(4);
  });

  it('takes the per-user job cap from JOBS_PER_USER', async () => {
    sample = await startSample({ ...ENV, JOB_MS: '60000', JOBS_PER_USER: '1' });
    expect((await send('/jobs')).status).toBe(202);
    const refused = await send('/jobs');
    expect(refused.status).toBe(429);
    expect((refused.json() as { message: string }).message).toBe(
      'at most 1 job per user runs at once; wait for it to finish',
    );
  });

  it('rate-limits POSTs per user (POST_LIMIT per POST_WINDOW_MS): 429 with Retry-After, other users unaffected', async () => {
    sample = await startSample({ ...ENV, POST_LIMIT: '3', POST_WINDOW_MS: '60000' });
    for (let i = 0; i < 3; i++)
      expect((await send('/rooms/flood/messages', TOKEN, { text: `m${i}` })).status).toBe(201);
    const refused = await send('/rooms/flood/messages', TOKEN, { text: 'one too many' });
    expect(refused.status).toBe(429);
    expect(refused.json()).toMatchObject({
      statusCode: 429,
      message: expect.stringMatching(/^too many requests: at most 3 POSTs per user every 60 s; retry in \d+ s$/),
    });
    const retryAfter = Number(refused.headers['retry-after']);
    expect(retryAfter).toBeGreaterThan(0);
    expect(retryAfter).toBeLessThanOrEqual(60);
    expect((await send('/rooms/flood/messages', OTHER_TOKEN, { text: 'ann is fine' })).status).toBe(201);
  });

  it('rate-limits starting jobs the same way', async () => {
    sample = await startSample({ ...ENV, POST_LIMIT: '3', POST_WINDOW_MS: '60000', JOBS_PER_USER: '10' });
    for (let i = 0; i < 3; i++) expect((await send('/jobs')).status).toBe(202);
    const refused = await send('/jobs');
    expect(refused.status).toBe(429);
    expect((refused.json() as { message: string }).message).toMatch(/^too many requests: at most 3 POSTs per user/);
    expect(Number(refused.headers['retry-after'])).toBeGreaterThan(0);
  });

  it('counts no request that fails authentication against a user', async () => {
    sample = await startSample({ ...ENV, POST_LIMIT: '1', POST_WINDOW_MS: '60000' });
    for (let i = 0; i < 3; i++) expect((await send('/rooms/flood/messages', 'nope', { text: 'x' })).status).toBe(401);
    expect((await send('/rooms/flood/messages', TOKEN, { text: 'first' })).status).toBe(201);
  });
});

describe('the sample app limits configuration', () => {
  it('checks JOBS_PER_USER, POST_LIMIT and POST_WINDOW_MS', async () => {
    const error = await createSampleApp(
      { JOBS_PER_USER: '0', POST_LIMIT: 'many', POST_WINDOW_MS: '10' },
      { logger: false },
    ).catch((caught: unknown) => caught);
    expect(error).toBeInstanceOf(SampleConfigError);
    expect((error as SampleConfigError).problems).toEqual([
      'JOBS_PER_USER="0": expected jobs from 1 to 100.',
      'POST_LIMIT="many": expected requests from 1 to 1000000.',
      'POST_WINDOW_MS="10": expected milliseconds from 1000 to 86400000.',
    ]);
  });
});
