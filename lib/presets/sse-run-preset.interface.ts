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
 * Why a listener's stream ends without the run's recorded closing events:
 * - `shutdown`: this instance shuts down (the client is to resume elsewhere);
 * - `unavailable`: the recording could not be read to its end (the broker
 *   is away, or lost it): the client is to resume later;
 * - `lost`: the run's instance stopped recording it (it died, or lost the
 *   broker), and another instance recorded its end (outcome `lost`): the run
 *   is over, with no closing events of its own.
 */
export type SseRunInterruption = 'shutdown' | 'unavailable' | 'lost';

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
  /**
   * The events a listener's stream ends with when the run's recorded
   * closing events do not reach it (see {@link SseRunInterruption}), written
   * to that stream only (not recorded, without ids: a resume goes on from
   * the last event). For clients that would take a silent end for a
   * complete answer, since presets turn the final word off. Optional; the
   * listener must be given the preset (`SseRuns.listen(client, id, { preset })`).
   */
  interrupted?(reason: SseRunInterruption): readonly unknown[];
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
    typeof preset.streamOptions === 'object' &&
    (preset.interrupted === undefined || typeof preset.interrupted === 'function')
  );
}
