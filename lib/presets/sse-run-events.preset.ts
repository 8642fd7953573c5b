import type { SseRunPreset } from './sse-run-preset.interface.js';

/**
 * The default wire format of runs: each value is one event, as a handler's
 * values are (an `sseEvent(...)` as it is, anything else as the `data` of a
 * plain message), and the stream ends with the library's final word
 * (`sse-end` `{"reason":"completed"}`, with `outcome` when the run did not
 * complete). For `EventSource`, the typed client and `fetch` readers.
 */
export const sseRunEvents: SseRunPreset = Object.freeze({
  name: 'sseRunEvents',
  headers: Object.freeze({}),
  streamOptions: Object.freeze({}),
  encoder: () => ({
    encode: (value: unknown) => [value],
    end: () => [],
  }),
});
