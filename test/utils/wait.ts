/** A promise with its resolve function, for a test to await something a fixture signals. */
export interface Deferred<T = void> {
  promise: Promise<T>;
  resolve(value: T): void;
  settled: boolean;
}

export function deferred<T = void>(): Deferred<T> {
  let resolve!: (value: T) => void;
  const result = {
    settled: false,
    promise: new Promise<T>((r) => (resolve = r)),
    resolve: (value: T) => {
      result.settled = true;
      resolve(value);
    },
  };
  return result;
}

/** Runs `task` for 0..count-1 with at most `concurrency` at a time. */
export async function runBounded(
  count: number,
  concurrency: number,
  task: (i: number) => Promise<void>,
): Promise<void> {
  let next = 0;
  const worker = async () => {
    while (next < count) await task(next++);
  };
  await Promise.all(Array.from({ length: Math.min(concurrency, count) }, worker));
}
