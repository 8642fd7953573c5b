import {
  BadRequestException,
  Body,
  Controller,
  Delete,
  Headers,
  HttpCode,
  NotFoundException,
  Param,
  Post,
} from '@nestjs/common';
import {
  EventStream,
  RunStream,
  SseClient,
  SseHub,
  SseRuns,
  aiSdkUiMessageStream,
  openAiChatCompletions,
  type SseClient as Client,
  type SseRunPreset,
} from '../../../lib/index.js';
import { TokenSource } from './token-source.js';

const openAi = openAiChatCompletions({ model: 'test-model' });
const aiSdk = aiSdkUiMessageStream();
/** A preset whose encoder cannot be made: a run started with it must fail, not vanish. */
const broken: SseRunPreset = {
  name: 'broken',
  headers: {},
  streamOptions: {},
  encoder: () => {
    throw new Error('This preset cannot encode.');
  },
};

/** The `x-owner` header as the run's owner: absent is none, empty is a 400 (a user id is never empty). */
function ownerOf(header: string | undefined): string | undefined {
  if (header === '') throw new BadRequestException('x-owner must be a non-empty user id.');
  return header;
}

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
    private readonly hub: SseHub,
  ) {}

  @RunStream('runs', { method: 'POST' })
  stream(@SseClient() client: Client, @Headers('idempotency-key') key?: string) {
    return this.runs.stream(client, ({ id, signal }) => this.source.feed(id, signal), { id: key });
  }

  @RunStream('runs/words', { method: 'POST' })
  words(@SseClient() client: Client, @Headers('idempotency-key') key?: string) {
    return this.runs.stream(client, ({ id, signal }) => this.source.words(id, signal), { id: key });
  }

  @RunStream('runs/broken-preset', { method: 'POST' })
  brokenPreset(@SseClient() client: Client, @Headers('idempotency-key') key?: string) {
    return this.runs.stream(client, ({ id, signal }) => this.source.feed(id, signal), { id: key, preset: broken });
  }

  @Post('runs/start')
  start(@Headers('idempotency-key') key?: string, @Headers('x-owner') owner?: string) {
    return this.runs.start(({ id, signal }) => this.source.feed(id, signal), { id: key, owner: ownerOf(owner) });
  }

  @RunStream('runs/:id')
  listen(@Param('id') id: string, @SseClient() client: Client, @Headers('x-owner') owner?: string) {
    return this.runs.listen(client, id, { owner: ownerOf(owner) });
  }

  @Delete('runs/:id')
  @HttpCode(204)
  async cancel(@Param('id') id: string, @Headers('x-owner') owner?: string) {
    if (!(await this.runs.cancel(id, { owner: ownerOf(owner) })))
      throw new NotFoundException(`No run ${id} is running.`);
  }

  /** A generic join route, as apps have: it must not reach the runs' own channels. */
  @EventStream('channels/:name')
  join(@Param('name') name: string, @SseClient() client: Client) {
    return this.hub.join(client, name);
  }

  /** A generic publish route: it must not forge a run's records. */
  @Post('channels/:name')
  async publish(@Param('name') name: string, @Body() body: { data: string }) {
    return { id: await this.hub.publish(name, body.data) };
  }

  @RunStream('v1/chat/completions', { method: 'POST', preset: openAi })
  chat(@Body() body: { tokens?: string[]; id?: string }, @SseClient() client: Client) {
    const producer = ({ id, signal }: { id: string; signal: AbortSignal }) =>
      body.tokens ? tokensOf(body.tokens, signal) : this.source.feed(id, signal);
    return this.runs.stream(client, producer, { id: body.id, preset: openAi });
  }

  @RunStream('v1/chat/completions/:id', { preset: openAi })
  chatResume(@Param('id') id: string, @SseClient() client: Client) {
    return this.runs.listen(client, id, { preset: openAi });
  }

  @RunStream('api/chat', { method: 'POST', preset: aiSdk })
  uiChat(@Body() body: { id: string; tokens?: unknown[] }, @SseClient() client: Client) {
    const producer = ({ id, signal }: { id: string; signal: AbortSignal }) =>
      body.tokens ? tokensOf(body.tokens, signal) : this.source.feed(id, signal);
    return this.runs.stream(client, producer, { id: body.id, preset: aiSdk });
  }

  @RunStream('api/chat/:id/stream', { preset: aiSdk })
  uiChatResume(@Param('id') id: string, @SseClient() client: Client) {
    return this.runs.listen(client, id, { preset: aiSdk });
  }
}
