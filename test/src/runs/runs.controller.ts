import { Body, Controller, Delete, Headers, HttpCode, NotFoundException, Param, Post } from '@nestjs/common';
import {
  RunStream,
  SseClient,
  SseRuns,
  aiSdkUiMessageStream,
  openAiChatCompletions,
  type SseClient as Client,
} from '../../../lib/index.js';
import { TokenSource } from './token-source.js';

const openAi = openAiChatCompletions({ model: 'test-model' });
const aiSdk = aiSdkUiMessageStream();

/** An async iterable of `tokens`, one per turn: a producer that is pulled as the broker stores. */
async function* tokensOf(tokens: readonly unknown[], signal: AbortSignal) {
  for (const token of tokens) {
    if (signal.aborted) return;
    await new Promise((resolve) => setImmediate(resolve));
    yield token;
  }
}

/**
 * The runs of the e2e suites: a POST that starts a run and streams it (its
 * producer a feed the test drives, or a list of tokens), a GET that resumes
 * it, a DELETE that cancels it, a POST that only starts one, and the two
 * presets' routes (OpenAI chat completions, the AI SDK's UI message stream).
 */
@Controller()
export class RunsController {
  constructor(
    private readonly runs: SseRuns,
    private readonly source: TokenSource,
  ) {}

  @RunStream('runs', { method: 'POST' })
  stream(@SseClient() client: Client, @Headers('idempotency-key') key?: string) {
    return this.runs.stream(client, ({ id, signal }) => this.source.feed(id, signal), { id: key });
  }

  @RunStream('runs/words', { method: 'POST' })
  words(@SseClient() client: Client, @Headers('idempotency-key') key?: string) {
    return this.runs.stream(client, ({ id, signal }) => this.source.words(id, signal), { id: key });
  }

  @Post('runs/start')
  start(@Headers('idempotency-key') key?: string, @Headers('x-owner') owner?: string) {
    return this.runs.start(({ id, signal }) => this.source.feed(id, signal), { id: key, owner });
  }

  @RunStream('runs/:id')
  listen(@Param('id') id: string, @SseClient() client: Client, @Headers('x-owner') owner?: string) {
    return this.runs.listen(client, id, { owner });
  }

  @Delete('runs/:id')
  @HttpCode(204)
  async cancel(@Param('id') id: string, @Headers('x-owner') owner?: string) {
    if (!(await this.runs.cancel(id, { owner }))) throw new NotFoundException(`No run ${id} is running.`);
  }

  @RunStream('v1/chat/completions', { method: 'POST', preset: openAi })
  chat(@Body() body: { tokens?: string[]; id?: string }, @SseClient() client: Client) {
    const producer = ({ id, signal }: { id: string; signal: AbortSignal }) =>
      body.tokens ? tokensOf(body.tokens, signal) : this.source.feed(id, signal);
    return this.runs.stream(client, producer, { id: body.id, preset: openAi });
  }

  @RunStream('v1/chat/completions/:id', { preset: openAi })
  chatResume(@Param('id') id: string, @SseClient() client: Client) {
    return this.runs.listen(client, id);
  }

  @RunStream('api/chat', { method: 'POST', preset: aiSdk })
  uiChat(@Body() body: { id: string; tokens?: unknown[] }, @SseClient() client: Client) {
    const producer = ({ id, signal }: { id: string; signal: AbortSignal }) =>
      body.tokens ? tokensOf(body.tokens, signal) : this.source.feed(id, signal);
    return this.runs.stream(client, producer, { id: body.id, preset: aiSdk });
  }

  @RunStream('api/chat/:id/stream', { preset: aiSdk })
  uiChatResume(@Param('id') id: string, @SseClient() client: Client) {
    return this.runs.listen(client, id);
  }
}
