import type { SseRunPreset } from '../presets/sse-run-preset.interface.js';

/** Which run a call is about: the id, and the user it belongs to. */
export interface SseRunLookup {
  /**
   * The user the run belongs to (e.g. `request.user.id`): a run started with
   * an owner is found only with the same owner, so that another user asking
   * for the same id finds none (204, `false`). A non-empty string or a
   * number, else a `TypeError` (check the user id first: an empty one is the
   * app's error). Default: none.
   */
  owner?: string | number;
}

/** How `SseRuns.listen()` streams a run. */
export interface SseRunListenOptions extends SseRunLookup {
  /**
   * The route's preset (the one of its `@RunStream()`): when the server ends
   * the stream before the run's recorded end reached it (shutdown, a
   * recording it cannot read, a run whose instance died), the client is told
   * in the preset's words (`openAiChatCompletions()`: an `error` chunk,
   * `aiSdkUiMessageStream()`: an `error` chunk), not only by a final word it
   * does not read. Default: none (the final word alone).
   */
  preset?: SseRunPreset;
}

/** How `SseRuns.start()` and `stream()` start a run. */
export interface SseRunStartOptions extends SseRunLookup {
  /**
   * The run's id: the client's idempotency key (e.g. an `Idempotency-Key`
   * header, a chat id), 1 to 128 letters, digits, `-` or `_`, else a 400. A
   * start with the id of a run that is running or not expired yet joins it
   * instead of starting a second one, on any instance; with the id of one
   * that expired, it is a 409. Default: a random UUID.
   */
  id?: string;
  /** The wire format of the run's events. Default `sseRunEvents`. */
  preset?: SseRunPreset;
}

/** What `SseRuns.start()` resolves to. */
export interface SseRunHandle {
  /** The run's id, to listen to it (`GET .../runs/:id`) and cancel it. */
  readonly id: string;
  /** Whether this call started it (false: it joined a run with this id). */
  readonly created: boolean;
}
