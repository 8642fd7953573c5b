import { sseEvent, type SseRunPreset } from 'nestjs-event-stream';

/** The event of one token of the assistant's answer. */
export const ASSISTANT_TOKEN_EVENT = 'token';

/**
 * The wire format of the assistant's runs: each word of the generator is one
 * `token` event whose data is `{"text": "<the word and its space>"}` (JSON,
 * so that no space is lost to the SSE syntax), and the stream ends with the
 * library's final word (`sse-end`, with `outcome` when the run was stopped).
 * Used both where the run starts and on the routes that stream it.
 */
export const ASSISTANT_TOKENS: SseRunPreset = Object.freeze({
  name: 'assistantTokens',
  headers: Object.freeze({}),
  streamOptions: Object.freeze({}),
  encoder: () => ({
    encode: (text: unknown) => [sseEvent({ event: ASSISTANT_TOKEN_EVENT, data: { text } })],
    end: () => [],
  }),
});
