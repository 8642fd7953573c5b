import type { ScheduledBroadcast } from './scheduled-broadcast.js';

/**
 * The jobs of `@Broadcast()` methods, per instance of the class that declares
 * them: `SseBroadcastExplorer` binds them when the app starts, the method
 * wrapper looks them up on each call. Keyed by instance, so two apps in one
 * process never share a job, and a job goes away with its instance.
 */
const bindings = new WeakMap<object, Map<string | symbol, ScheduledBroadcast>>();

/** Binds the `@Broadcast()` method `method` of `instance` to its job (at startup). */
export function bindBroadcast(instance: object, method: string | symbol, job: ScheduledBroadcast): void {
  let jobs = bindings.get(instance);
  if (!jobs) bindings.set(instance, (jobs = new Map()));
  jobs.set(method, job);
}

/** The job bound to `instance`'s method, if the app created `instance`; `undefined` otherwise. */
export function boundBroadcast(instance: unknown, method: string | symbol): ScheduledBroadcast | undefined {
  return typeof instance === 'object' && instance !== null ? bindings.get(instance)?.get(method) : undefined;
}
