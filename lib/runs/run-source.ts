import { isObservable } from 'rxjs';
import { ObservableValues } from './observable-values.js';
import { SSE_RUNS_MESSAGES } from './sse-runs.messages.js';

/** What a run's producer is handed: the run's id, and a signal that aborts when the run stops early. */
export interface SseRunContext {
  /** The run's id. */
  readonly id: string;
  /** Aborts when the run is cancelled, goes idle, times out or its instance shuts down: pass it to your model client. */
  readonly signal: AbortSignal;
}

/**
 * Makes the work of a run: an `Observable` or an `AsyncIterable` of values
 * (or a Promise of one), e.g. the token stream of a model client. Called
 * only by the request that starts the run, never by one that joins it.
 */
export type SseRunProducer = (run: SseRunContext) => unknown;

function isAsyncIterable(value: unknown): value is AsyncIterable<unknown> {
  return (
    typeof value === 'object' &&
    value !== null &&
    typeof (value as AsyncIterable<unknown>)[Symbol.asyncIterator] === 'function'
  );
}

/**
 * Lets go of what a producer returned after its run stopped (cancelled while
 * the producer's promise was pending): an `AsyncIterable` is told to return,
 * so that what it holds (a model's HTTP response) is released; an
 * `Observable` was never subscribed, and needs nothing.
 */
export function discardSource(source: unknown): void {
  if (isObservable(source) || !isAsyncIterable(source)) return;
  Promise.resolve()
    .then(() => source[Symbol.asyncIterator]().return?.())
    .catch(() => undefined);
}

/**
 * The values of what a producer returned, as an async iterator: an
 * `AsyncIterable` pulled as the broker stores (it is paced), an `Observable`
 * through a queue of at most `maxQueued` values. A `TypeError` for anything else.
 */
export function iteratorOf(source: unknown, maxQueued: number): AsyncIterator<unknown> {
  if (isObservable(source)) return new ObservableValues(source, maxQueued);
  if (isAsyncIterable(source)) return source[Symbol.asyncIterator]();
  throw new TypeError(SSE_RUNS_MESSAGES.invalidSource(source));
}
