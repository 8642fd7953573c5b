import { from, isObservable, type Observable } from 'rxjs';

function isAsyncIterable(value: unknown): value is AsyncIterable<unknown> {
  return (
    typeof value === 'object' &&
    value !== null &&
    typeof (value as AsyncIterable<unknown>)[Symbol.asyncIterator] === 'function'
  );
}

/** The Observable a handler's (awaited) result stands for, or `undefined` if it stands for none. */
export function toEventSource(value: unknown): Observable<unknown> | undefined {
  if (isObservable(value)) return value;
  if (isAsyncIterable(value)) return from(value);
  return undefined;
}
