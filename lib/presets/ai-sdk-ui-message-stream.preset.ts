import { sseEvent } from '../protocol/sse-event.js';
import type { SseRunError, SseRunOutcome } from '../runs/run-records.js';
import type { SseRunEncoder, SseRunInfo, SseRunInterruption, SseRunPreset } from './sse-run-preset.interface.js';
import { SSE_RUN_PRESETS_MESSAGES } from './sse-run-presets.messages.js';

/** Options of {@link aiSdkUiMessageStream}. */
export interface AiSdkUiMessageStreamOptions {
  /**
   * The id of the assistant message the run streams, sent in its `start`
   * chunk (`messageId`), a string or a function of the run. With it the SDK
   * replaces that message when a resume replays the run (a reload, a
   * dropped connection), instead of appending the answer again. A producer's
   * own `start` chunk keeps its `messageId` if it has one. Default: the run's id.
   */
  messageId?: string | ((run: SseRunInfo) => string);
}

/** The JSON `data` line of one chunk. */
const json = (value: unknown) => sseEvent({ data: JSON.stringify(value) });
const DONE = sseEvent({ data: '[DONE]' });
/** The id of the text part the preset makes of text tokens. */
const TEXT_ID = 'text-0';

function isChunk(value: unknown): value is { type: string; messageId?: unknown } {
  return (
    typeof value === 'object' &&
    value !== null &&
    !Array.isArray(value) &&
    typeof (value as { type?: unknown }).type === 'string'
  );
}

const isMessageId = (value: unknown): value is string => typeof value === 'string' && value.length > 0;

/** An `error` chunk for a stream the server ends early; `[DONE]` too if the run is over (`lost`). */
function interruption(reason: SseRunInterruption): readonly unknown[] {
  const error = json({ type: 'error', errorText: SSE_RUN_PRESETS_MESSAGES.interrupted(reason) });
  return reason === 'lost' ? [error, DONE] : [error];
}

class UiMessageChunks implements SseRunEncoder {
  private started = false;
  private textOpen = false;
  private finished = false;

  constructor(private readonly messageId: string) {}

  encode(value: unknown): readonly unknown[] {
    if (isChunk(value)) {
      if (value.type === 'finish') this.finished = true;
      if (value.type !== 'start') return [json(value)];
      this.started = true;
      return [json(value.messageId === undefined ? { ...value, messageId: this.messageId } : value)];
    }
    if (typeof value !== 'string') throw new TypeError(SSE_RUN_PRESETS_MESSAGES.invalidUiValue(value));
    const chunks: unknown[] = [];
    if (!this.started) chunks.push(json({ type: 'start', messageId: this.messageId }));
    if (!this.textOpen) chunks.push(json({ type: 'text-start', id: TEXT_ID }));
    this.started = this.textOpen = true;
    chunks.push(json({ type: 'text-delta', id: TEXT_ID, delta: value }));
    return chunks;
  }

  end(outcome: SseRunOutcome, error?: SseRunError): readonly unknown[] {
    const chunks: unknown[] = [];
    if (this.textOpen) chunks.push(json({ type: 'text-end', id: TEXT_ID }));
    if (outcome === 'completed') {
      if (!this.finished) chunks.push(json({ type: 'finish' }));
    } else if (outcome === 'failed' || outcome === 'shutdown' || outcome === 'lost') {
      chunks.push(json({ type: 'error', errorText: error?.message ?? `The run ended: ${outcome}.` }));
    } else {
      chunks.push(json({ type: 'abort', reason: outcome }));
    }
    return [...chunks, DONE];
  }
}

/**
 * The AI SDK's UI message stream (protocol `v1`, what `useChat()` and its
 * `DefaultChatTransport` read): the header `x-vercel-ai-ui-message-stream:
 * v1`, every event `data: <chunk as JSON>`, the last one `data: [DONE]`, no
 * final word (the SDK would take it for a chunk). The producer yields UI
 * message chunks (`streamText(...).toUIMessageStream()`, passed through) or
 * text tokens (strings), which become `start` (with `messageId`: the run's
 * id by default, so that a resume replaces the message), `text-start`,
 * `text-delta` and, at the end, `text-end` and `finish`. A failed run ends
 * with an `error` chunk, a cancelled (idle, timed out) one with `abort`.
 * Anything else a producer yields fails the run with a `TypeError`. A
 * listener the server ends early (shutdown, a recording it cannot read) gets
 * an `error` chunk: give `listen()` the preset.
 *
 * A chat has one run per answer: keep the chat's active run id in your
 * store, and clear it when the run ends (else a resume after expiry is a 204,
 * which the SDK takes for "no active stream", as it should).
 *
 * @example
 * const ui = aiSdkUiMessageStream();
 *
 * \@RunStream('api/chat', { method: 'POST', preset: ui })
 * chat(\@Body() body: { id: string; messages: UIMessage[] }, \@SseClient() client: SseClient) {
 *   const runId = this.chats.newRunId(body.id); // the chat's active run, until it ends
 *   return this.runs.stream(client, ({ signal }) => this.model.tokens(body.messages, signal), { id: runId, preset: ui });
 * }
 *
 * \@RunStream('api/chat/:chatId/stream', { preset: ui })
 * async resume(\@Param('chatId') chatId: string, \@SseClient() client: SseClient) {
 *   const runId = await this.chats.activeRunId(chatId);
 *   return runId ? this.runs.listen(client, runId, { preset: ui }) : null; // null: 204, no active stream
 * }
 */
export function aiSdkUiMessageStream(options: AiSdkUiMessageStreamOptions = {}): SseRunPreset {
  const messageId = options.messageId;
  if (messageId !== undefined && !isMessageId(messageId) && typeof messageId !== 'function') {
    throw new TypeError(SSE_RUN_PRESETS_MESSAGES.invalidMessageId(messageId));
  }
  const messageIdOf = (run: SseRunInfo): string => {
    const id = typeof messageId === 'function' ? messageId(run) : (messageId ?? run.id);
    if (!isMessageId(id)) throw new TypeError(SSE_RUN_PRESETS_MESSAGES.invalidMessageId(id));
    return id;
  };
  return Object.freeze({
    name: 'aiSdkUiMessageStream',
    headers: Object.freeze({ 'x-vercel-ai-ui-message-stream': 'v1' }),
    streamOptions: Object.freeze({ endEventName: false as const }),
    encoder: (run: SseRunInfo) => new UiMessageChunks(messageIdOf(run)),
    interrupted: interruption,
  });
}
