/** Whether `value` is a promise (or any thenable): what a broker, a verifier or a handler may return instead of a value. */
export function isThenable<T>(value: T | PromiseLike<T> | undefined | void): value is PromiseLike<T> {
  return typeof (value as PromiseLike<T> | null | undefined)?.then === 'function';
}
