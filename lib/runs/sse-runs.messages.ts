import { MAX_RUN_ID_LENGTH } from './run-names.js';

/** The text of a value in a message: short, and never more than a type for an object. */
function shown(value: unknown): string {
  if (typeof value === 'string') return JSON.stringify(value.length > 64 ? `${value.slice(0, 64)}...` : value);
  if (value === null || typeof value !== 'object') return String(value);
  return Array.isArray(value) ? 'an array' : 'an object';
}

function errorText(error: unknown): string {
  return error instanceof Error ? error.message : String(error);
}

/** Every text `SseRuns` logs or throws, in one place. Each names the bad value and the fix. */
export const SSE_RUNS_MESSAGES = {
  invalidRunId: (value: unknown) =>
    `Invalid run id ${shown(value)}: use 1 to ${MAX_RUN_ID_LENGTH} letters, digits, '-' or '_' (a UUID is one).`,
  invalidOwner: (value: unknown) =>
    `nestjs-event-stream: SseRuns option "owner" must be a non-empty string or a number (the user the run belongs to, e.g. request.user.id), got ${shown(value)}; leave it out for a run without owner. Check the user id before passing it: an empty one is your app's error.`,
  invalidProducer: (value: unknown) =>
    `nestjs-event-stream: SseRuns.start() takes a function that returns the run's Observable or AsyncIterable (called only when this request starts the run), got ${shown(value)}.`,
  invalidSource: (value: unknown) =>
    `The producer of a run returned ${shown(value)}; it must return an Observable, an AsyncIterable, or a Promise of one.`,
  invalidPreset: (value: unknown) =>
    `nestjs-event-stream: SseRuns option "preset" must be an SseRunPreset (sseRunEvents, openAiChatCompletions(), aiSdkUiMessageStream()), got ${shown(value)}.`,
  tooManyRuns: (limit: number) => `This server runs its maximum of ${limit} runs (maxRuns); retry later.`,
  noHistory: () =>
    'nestjs-event-stream: SseRunsModule needs a broker that stores channel history (runs are recorded in it), ' +
    'but an event it published could not be read back: its history keeps no event (history.maxEvents / maxEvents 0?). ' +
    'Give the broker a history bound above the events of your longest run.',
  noHistoryCheck: (error: unknown) =>
    `Could not check at startup that the broker keeps history for runs (${errorText(error)}); a broker that keeps none makes every start a 409.`,
  runExpired: (id: string) =>
    `Run ${JSON.stringify(id)} is over and its recording has expired; start a new run with another id.`,
  shuttingDown: () => 'The server is shutting down; start the run again shortly.',
  outpaced: (limit: number) =>
    `The run's Observable emitted more than ${limit} values ahead of what the broker had stored (maxQueuedValues); return an AsyncIterable to be paced, or raise the option.`,
  runFailed: (id: string, error: unknown) => `Run ${id} failed: ${errorText(error)}`,
  recordFailed: (id: string, error: unknown) =>
    `Run ${id}: could not record its end (${errorText(error)}); its listeners on this instance were told, those on other instances are not.`,
  watchFailed: (id: string, error: unknown) => `Run ${id}: could not read its state after a gap: ${errorText(error)}`,
  unwatchFailed: (channel: string, error: unknown) =>
    `Could not unsubscribe from channel ${channel}: ${errorText(error)}`,
  leaseFailed: (error: unknown) =>
    `Could not tell the other instances which runs have listeners here: ${errorText(error)}`,
  beatFailed: (id: string, error: unknown) =>
    `Run ${id}: could not record its state again (${errorText(error)}); if this lasts, its listeners elsewhere take it for lost.`,
  lostCheckFailed: (id: string, error: unknown) =>
    `Run ${id}: its instance has not recorded it for a while, and its state could not be read to check: ${errorText(error)}`,
  runLost: (id: string, silentMs: number) =>
    `Run ${id}: its instance recorded nothing of it for ${silentMs} ms (it died, or lost the broker): recorded its end as lost, so that its listeners get the final word.`,
  listenerEndFailed: (id: string, error: unknown) =>
    `Run ${id}: could not tell whether a listener had every event (${errorText(error)}); its stream is ended, and the client resumes with its Last-Event-ID.`,
};
