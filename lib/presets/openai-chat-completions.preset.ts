import { sseEvent } from '../protocol/sse-event.js';
import type { SseRunError, SseRunOutcome } from '../runs/run-records.js';
import type { SseRunEncoder, SseRunInfo, SseRunInterruption, SseRunPreset } from './sse-run-preset.interface.js';
import { SSE_RUN_PRESETS_MESSAGES } from './sse-run-presets.messages.js';

/** Options of {@link openAiChatCompletions}. */
export interface OpenAiChatCompletionsOptions {
  /** The `model` of the chunks it makes of text tokens. Default `'unknown'`. */
  model?: string;
}

/** The JSON `data` line of one event. */
const json = (value: unknown) => sseEvent({ data: JSON.stringify(value) });
const DONE = sseEvent({ data: '[DONE]' });

/** What each outcome that is no success tells an OpenAI client: an `error` chunk (its SDK throws an `APIError`). */
const ERROR_TYPES: Partial<Record<SseRunOutcome, string>> = {
  failed: 'server_error',
  idle: 'run_idle',
  timeout: 'run_timeout',
  shutdown: 'server_shutdown',
  lost: 'run_lost',
};

/** Whether `value` can be passed through as a chunk: a JSON object (not an array, not null). */
function isChunkObject(value: unknown): value is Record<string, unknown> {
  return typeof value === 'object' && value !== null && !Array.isArray(value);
}

/** An `error` chunk (its SDK throws an `APIError` with it) for a stream the server ends early; `[DONE]` if the run is over. */
function interruption(reason: SseRunInterruption): readonly unknown[] {
  const message = SSE_RUN_PRESETS_MESSAGES.interrupted(reason);
  const type = reason === 'lost' ? 'run_lost' : 'stream_interrupted';
  const error = json({ error: { message, type, code: 503 } });
  return reason === 'lost' ? [error, DONE] : [error];
}

class OpenAiChunks implements SseRunEncoder {
  private made = 0;
  private passedThrough = false;

  constructor(
    private readonly run: SseRunInfo,
    private readonly model: string,
  ) {}

  encode(value: unknown): readonly unknown[] {
    if (typeof value !== 'string') {
      if (!isChunkObject(value)) throw new TypeError(SSE_RUN_PRESETS_MESSAGES.invalidOpenAiValue(value));
      this.passedThrough = true;
      return [json(value)];
    }
    const delta: Record<string, string> =
      this.made++ === 0 ? { role: 'assistant', content: value } : { content: value };
    return [json(this.chunk(delta, null))];
  }

  end(outcome: SseRunOutcome, error?: SseRunError): readonly unknown[] {
    const type = ERROR_TYPES[outcome];
    if (type) {
      const message = error?.message ?? `The run ended: ${outcome}.`;
      return [json({ error: { message, type, code: error?.status ?? null } }), DONE];
    }
    // A stream the preset made of text tokens gets its last chunk, as OpenAI sends one.
    const last = this.made > 0 && !this.passedThrough && outcome === 'completed' ? [json(this.chunk({}, 'stop'))] : [];
    return [...last, DONE];
  }

  private chunk(delta: Record<string, string>, finishReason: string | null) {
    return {
      id: `chatcmpl-${this.run.id}`,
      object: 'chat.completion.chunk',
      created: Math.floor(this.run.startedAt / 1000),
      model: this.model,
      choices: [{ index: 0, delta, finish_reason: finishReason }],
    };
  }
}

/**
 * The OpenAI-compatible chat completions stream: every event is
 * `data: <chunk as JSON>`, the last one `data: [DONE]`, with no final word
 * (what `openai`'s `Stream` and every OpenAI-compatible client read). The
 * producer yields `ChatCompletionChunk` objects (a model client's stream,
 * passed through) or text tokens (strings), which become chunks with
 * `delta.content` and a last chunk with `finish_reason: "stop"`. A run that
 * fails (or ends idle, timed out, by shutdown or lost) ends with an `error`
 * chunk before `[DONE]`; a cancelled one with `[DONE]`. Anything else a
 * producer yields (a number, null, an array) fails the run with a
 * `TypeError`. A listener the server ends early (shutdown, a recording it
 * cannot read) gets an `error` chunk with `type: "stream_interrupted"` and
 * no `[DONE]`, so that `openai`'s reader throws instead of finishing as if
 * the answer were whole: give `listen()` the preset.
 *
 * @example
 * const openAi = openAiChatCompletions({ model: 'my-model' });
 *
 * \@RunStream('v1/chat/completions', { method: 'POST', preset: openAi })
 * chat(\@Body() body: ChatRequest, \@SseClient() client: SseClient, \@Headers('idempotency-key') key?: string) {
 *   return this.runs.stream(client, ({ signal }) => this.model.tokens(body, signal), { id: key, preset: openAi });
 * }
 *
 * \@RunStream('v1/chat/completions/:id', { preset: openAi })
 * resume(\@Param('id') id: string, \@SseClient() client: SseClient) {
 *   return this.runs.listen(client, id, { preset: openAi });
 * }
 */
export function openAiChatCompletions(options: OpenAiChatCompletionsOptions = {}): SseRunPreset {
  const model = options.model ?? 'unknown';
  if (typeof model !== 'string' || model.length === 0)
    throw new TypeError(SSE_RUN_PRESETS_MESSAGES.invalidModel(model));
  return Object.freeze({
    name: 'openAiChatCompletions',
    headers: Object.freeze({}),
    streamOptions: Object.freeze({ endEventName: false as const }),
    encoder: (run: SseRunInfo) => new OpenAiChunks(run, model),
    interrupted: interruption,
  });
}
