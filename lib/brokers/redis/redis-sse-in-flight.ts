/**
 * The commands in flight on the broker's command connection, each of which
 * `abortAll()` rejects at once: on a cluster, ioredis retries a command
 * whose node went away for a while before it gives up, and the broker
 * answers at once instead, as on a single server (where ioredis fails it at
 * once). One entry per command in flight, removed when it settles.
 */
export class RedisSseInFlight {
  private readonly aborts = new Set<(error: unknown) => void>();

  /** `command`, or the error of `abortAll()` if that comes first. */
  guard<T>(command: Promise<T>): Promise<T> {
    return new Promise<T>((resolve, reject) => {
      const abort = (error: unknown) => {
        this.aborts.delete(abort);
        reject(error);
      };
      this.aborts.add(abort);
      command.then(resolve, reject).finally(() => this.aborts.delete(abort));
    });
  }

  /** Rejects every command in flight with `error` (their results, if any come, are ignored). */
  abortAll(error: unknown): void {
    [...this.aborts].forEach((abort) => abort(error));
  }
}
