import { sseEvent } from '../protocol/sse-event.js';
import type { SseRunError, SseRunOutcome } from '../runs/run-records.js';
import type { SseRunEncoder, SseRunPreset } from './sse-run-preset.interface.js';

/** The JSON `data` line of one chunk. */
const json = (value: unknown) => sseEvent({ data: JSON.stringify(value) });
const DONE = sseEvent({ data: '[DONE]' });
/** The id of the text part the preset makes of text tokens. */
const TEXT_ID = 'text-0';

function isChunk(value: unknown): value is { type: string } {
  return typeof value === 'object' && value !== null && typeof (value as { type?: unknown }).type === 'string';
}

class UiMessageChunks implements SseRunEncoder {
  private started = false;
  private textOpen = false;
  private finished = false;

  encode(value: unknown): readonly unknown[] {
    if (isChunk(value)) {
      if (value.type === 'start') this.started = true;
      if (value.type === 'finish') this.finished = true;
      return [json(value)];
    }
    const chunks: unknown[] = [];
    if (!this.started) chunks.push(json({ type: 'start' }));
    if (!this.textOpen) chunks.push(json({ type: 'text-start', id: TEXT_ID }));
    this.started = this.textOpen = true;
    chunks.push(json({ type: 'text-delta', id: TEXT_ID, delta: String(value) }));
    return chunks;
  }

  end(outcome: SseRunOutcome, error?: SseRunError): readonly unknown[] {
    const chunks: unknown[] = [];
    if (this.textOpen) chunks.push(json({ type: 'text-end', id: TEXT_ID }));
    if (outcome === 'completed') {
      if (!this.finished) chunks.push(json({ type: 'finish' }));
    } else if (outcome === 'failed' || outcome === 'shutdown') {
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
 * text tokens (strings), which become `start`, `text-start`, `text-delta`
 * and, at the end, `text-end` and `finish`. A failed run ends with an
 * `error` chunk, a cancelled (idle, timed out) one with `abort`.
 *
 * @example
 * \@RunStream('api/chat', { method: 'POST', preset: aiSdkUiMessageStream() })
 * chat(\@Body() body: { id: string; messages: UIMessage[] }, \@SseClient() client: SseClient) {
 *   return this.runs.stream(client, ({ signal }) => this.model.tokens(body.messages, signal), {
 *     id: body.id, // resumed by GET api/chat/:id/stream
 *     preset: aiSdkUiMessageStream(),
 *   });
 * }
 */
export function aiSdkUiMessageStream(): SseRunPreset {
  return Object.freeze({
    name: 'aiSdkUiMessageStream',
    headers: Object.freeze({ 'x-vercel-ai-ui-message-stream': 'v1' }),
    streamOptions: Object.freeze({ endEventName: false as const }),
    encoder: () => new UiMessageChunks(),
  });
}
