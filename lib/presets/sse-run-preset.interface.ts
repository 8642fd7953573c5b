import type { SseStreamOptions } from '../stream/sse-stream-options.interface.js';
import type { SseRunError, SseRunOutcome } from '../runs/run-records.js';

/** What an encoder knows of the run it encodes. */
export interface SseRunInfo {
  /** The run's id. */
  readonly id: string;
  /** When it started (ms since the epoch). */
  readonly startedAt: number;
}

/**
 * Turns the values of one run into the events that are recorded and
 * streamed, and says how the recording ends. Values are what `hub.publish()`
 * takes: an `sseEvent(...)` (without `id`) or the data of a plain message.
 * Pure apart from the state of its one run (an open text part...).
 */
export interface SseRunEncoder {
  /** The events one value of the producer becomes (none, one or more), in order. */
  encode(value: unknown): readonly unknown[];
  /** The events that close the recording, for how the run ended. */
  end(outcome: SseRunOutcome, error?: SseRunError): readonly unknown[];
}

/**
 * A wire format of runs, chosen per route: how values are written (at the
 * start of a run: `SseRuns.start({ preset })`), and what the routes that
 * stream the run answer with (`@RunStream(path, { preset })`: headers and
 * stream options, e.g. no final word for a client that would choke on one).
 * `sseRunEvents` (the default), `openAiChatCompletions()` and
 * `aiSdkUiMessageStream()` are provided; write your own for another format.
 */
export interface SseRunPreset {
  /** A name, for messages. */
  readonly name: string;
  /** Response headers of the routes that stream it. */
  readonly headers: Readonly<Record<string, string>>;
  /** Stream options of the routes that stream it (the route's own win). */
  readonly streamOptions: Readonly<SseStreamOptions>;
  /** A fresh encoder for one run. */
  encoder(run: SseRunInfo): SseRunEncoder;
}

/** Whether `value` looks like an `SseRunPreset`. */
export function isSseRunPreset(value: unknown): value is SseRunPreset {
  const preset = value as SseRunPreset | null;
  return (
    typeof preset === 'object' &&
    preset !== null &&
    typeof preset.encoder === 'function' &&
    typeof preset.name === 'string' &&
    typeof preset.headers === 'object' &&
    typeof preset.streamOptions === 'object'
  );
}
