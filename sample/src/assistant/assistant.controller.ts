import {
  Body,
  Controller,
  Headers,
  HttpCode,
  HttpStatus,
  NotFoundException,
  Param,
  Post,
  UseGuards,
} from '@nestjs/common';
import { ApiBearerAuth, ApiHeader, ApiResponse } from '@nestjs/swagger';
import { RunStream, SseClient, SseRuns } from 'nestjs-event-stream';
import { ApiEventStream } from 'nestjs-event-stream/openapi';
import { BearerAuthGuard } from '../auth/bearer-auth.guard.js';
import { CurrentUser, type SampleUser } from '../auth/sample-user.js';
import { StreamAuthGuard } from '../auth/stream-auth.guard.js';
import { PostRateLimitGuard } from '../rate-limit/post-rate-limit.guard.js';
import { AssistantPromptDto } from './assistant-prompt.dto.js';
import { AssistantPromptPipe } from './assistant-prompt.pipe.js';
import { AssistantTokenDto } from './assistant-token.dto.js';
import { ASSISTANT_TOKENS } from './assistant-tokens.preset.js';
import { DemoTextGenerator } from './demo-text.generator.js';
import { RUN_KEY_HEADER, runKeyOf } from './run-key.js';

const TOKEN_EVENTS = { token: { type: AssistantTokenDto, description: 'The next word of the answer.' } };
const BAD_ID = 'Bad Request: the run id is not 1 to 128 letters, digits, - or _.';

/**
 * The assistant panel's API: an answer streamed word by word as a resumable
 * run (`SseRuns`) of the user who asked, from the deterministic demo text
 * generator (`DemoTextGenerator`, not a model). The run is recorded through
 * the hub's broker: a reload resumes it with `Last-Event-ID`, on any
 * instance sharing the broker, and Stop cancels it wherever it runs. Runs are
 * scoped to their user (`owner`): another user's id finds nothing.
 */
@Controller('assistant')
export class AssistantController {
  constructor(
    private readonly runs: SseRuns,
    private readonly generator: DemoTextGenerator,
  ) {}

  /**
   * POST /assistant/runs `{ "prompt": "..." }` with `Idempotency-Key: <run id>`:
   * starts the answer and streams it (`token` events, then the final word).
   * A retry with the same key (the typed client's reconnect) joins the run
   * after its `Last-Event-ID` instead of starting another. Bearer header
   * only; counts against `POST_LIMIT`.
   */
  @UseGuards(BearerAuthGuard, PostRateLimitGuard)
  @ApiBearerAuth()
  @ApiHeader({
    name: 'Idempotency-Key',
    required: true,
    description: "The run's id, chosen by the client (a UUID): to resume and stop the answer with.",
  })
  @ApiResponse({ status: 400, description: 'Bad Request: no Idempotency-Key, a bad run id, or a bad prompt.' })
  @ApiEventStream({
    events: TOKEN_EVENTS,
    resetEvent: true,
    refusals: [204, 401, 429, 503],
    summary: "Ask the assistant (a deterministic demo generator): the answer's words as they are written",
  })
  @RunStream('runs', { method: 'POST', preset: ASSISTANT_TOKENS })
  ask(
    @Body(AssistantPromptPipe) body: AssistantPromptDto,
    @Headers(RUN_KEY_HEADER) key: string | undefined,
    @CurrentUser() user: SampleUser,
    @SseClient() client: SseClient,
  ) {
    return this.runs.stream(client, ({ signal }) => this.generator.tokens(body.prompt, signal), {
      id: runKeyOf(key),
      owner: user.id,
      preset: ASSISTANT_TOKENS,
    });
  }

  /**
   * GET /assistant/runs/:id: the answer of run `id`, resumed after the
   * client's `Last-Event-ID` (all of it without one): what it missed, then
   * the rest live, then the final word. 204 for a run that is not the user's,
   * is unknown or expired, or whose every event the client has.
   */
  @UseGuards(StreamAuthGuard)
  @ApiBearerAuth()
  @ApiResponse({ status: 400, description: BAD_ID })
  @ApiEventStream({
    events: TOKEN_EVENTS,
    resetEvent: true,
    refusals: [204, 401, 429, 503],
    summary: 'Resume an answer after Last-Event-ID',
  })
  @RunStream('runs/:id', { preset: ASSISTANT_TOKENS })
  resume(@Param('id') id: string, @CurrentUser() user: SampleUser, @SseClient() client: SseClient) {
    return this.runs.listen(client, id, { owner: user.id });
  }

  /**
   * POST /assistant/runs/:id/cancel: the Stop button. Cancels the run
   * wherever it runs (its generator stops; its listeners get the final word
   * with `outcome: cancelled`); 204, or 404 when the user has no such run
   * running. Bearer header only; counts against `POST_LIMIT`.
   */
  @UseGuards(BearerAuthGuard, PostRateLimitGuard)
  @ApiBearerAuth()
  @ApiResponse({ status: 204, description: 'The run is cancelled.' })
  @ApiResponse({ status: 400, description: BAD_ID })
  @ApiResponse({ status: 404, description: 'Not Found: no run of yours with this id is running.' })
  @Post('runs/:id/cancel')
  @HttpCode(HttpStatus.NO_CONTENT)
  async cancel(@Param('id') id: string, @CurrentUser() user: SampleUser): Promise<void> {
    if (!(await this.runs.cancel(id, { owner: user.id }))) {
      throw new NotFoundException(`no answer of yours with run id ${id} is running: it is over, or never started`);
    }
  }
}
