import { applyDecorators, Header } from '@nestjs/common';
import { EventStream, type EventStreamOptions } from '../stream/event-stream.decorator.js';
import { isSseRunPreset, type SseRunPreset } from '../presets/sse-run-preset.interface.js';
import { SSE_RUNS_MESSAGES } from './sse-runs.messages.js';

/** Options of `@RunStream()`: those of `@EventStream()`, plus the wire preset of the run it streams. */
export interface RunStreamOptions extends EventStreamOptions {
  /** The run's wire format: its headers and stream options apply to the route (the route's own options win). Default `sseRunEvents`. */
  preset?: SseRunPreset;
}

/**
 * `@EventStream()` for a route that streams a run (`SseRuns.stream()` or
 * `listen()`), in the wire format of `preset`: its headers (the AI SDK's
 * `x-vercel-ai-ui-message-stream: v1`) and its stream options (no final
 * word, for clients that would take it for data). Use the same preset in
 * the `SseRuns.start()` of the run, and give it to `listen()`.
 *
 * @example
 * const preset = aiSdkUiMessageStream();
 *
 * \@RunStream('chat', { method: 'POST', preset })
 * chat(\@Body() body: ChatBody, \@SseClient() client: SseClient) {
 *   const runId = this.chats.newRunId(body.id); // one run per answer: the chat's active run
 *   return this.runs.stream(client, ({ signal }) => this.model.tokens(body, signal), { id: runId, preset });
 * }
 *
 * \@RunStream('chat/:id/stream', { preset })
 * async resume(\@Param('id') chatId: string, \@SseClient() client: SseClient) {
 *   const runId = await this.chats.activeRunId(chatId);
 *   return runId ? this.runs.listen(client, runId, { preset }) : null;
 * }
 */
export function RunStream(path?: string | string[], options: RunStreamOptions = {}): MethodDecorator {
  const { preset, ...streamOptions } = options;
  if (preset !== undefined && !isSseRunPreset(preset)) throw new TypeError(SSE_RUNS_MESSAGES.invalidPreset(preset));
  const headers = Object.entries(preset?.headers ?? {}).map(([name, value]) => Header(name, value));
  return applyDecorators(EventStream(path, { ...preset?.streamOptions, ...streamOptions }), ...headers);
}
