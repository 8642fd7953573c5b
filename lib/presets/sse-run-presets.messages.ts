import type { SseRunInterruption } from './sse-run-preset.interface.js';

/** The text of a value in a message: its type, and a short string as it is. */
function shown(value: unknown): string {
  if (typeof value === 'string') return JSON.stringify(value.length > 64 ? `${value.slice(0, 64)}...` : value);
  if (value === null) return 'null';
  if (Array.isArray(value)) return 'an array';
  return typeof value === 'object' ? 'an object' : `${typeof value} ${String(value)}`;
}

/** Every text the wire presets throw or send, in one place. */
export const SSE_RUN_PRESETS_MESSAGES = {
  invalidModel: (value: unknown) =>
    `openAiChatCompletions(): option "model" must be a non-empty string, got ${shown(value)}.`,
  invalidMessageId: (value: unknown) =>
    `aiSdkUiMessageStream(): option "messageId" must be a non-empty string or a function of the run that returns one, got ${shown(value)}.`,
  invalidOpenAiValue: (value: unknown) =>
    `openAiChatCompletions(): a run's producer must yield strings (text tokens) or ChatCompletionChunk objects, got ${shown(value)}.`,
  invalidUiValue: (value: unknown) =>
    `aiSdkUiMessageStream(): a run's producer must yield strings (text tokens) or UI message chunks (objects with a string "type"), got ${shown(value)}.`,
  /** What a client is told of an early end of its stream (no address, no internals). */
  interrupted: (reason: SseRunInterruption) =>
    reason === 'lost'
      ? 'The answer was interrupted: the server that made it stopped; it cannot be resumed.'
      : `The stream was interrupted (${reason === 'shutdown' ? 'the server is restarting' : 'the recording could not be read'}); reconnect with Last-Event-ID to resume.`,
};
