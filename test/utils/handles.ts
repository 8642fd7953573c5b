import { createHook } from 'node:async_hooks';

/** The handles a leaked request or connection would hold: sockets (connecting or open) and timers. */
export const LEAKABLE_HANDLES = ['TCPWRAP', 'TLSWRAP', 'TCPCONNECTWRAP', 'Timeout'] as const;

/** The handles created since `watchHandles()` was called, as they are destroyed. */
export interface HandleWatch {
  /** The handles created since, not destroyed yet, by type; stops watching. */
  stop(): Promise<Record<string, number>>;
}

/**
 * Watches the handles of `types` created from now on (async_hooks): unlike a
 * count of the process's active handles, what other suites of the same
 * process leave running meanwhile does not count. `stop()` waits one turn of
 * the event loop first, as a handle's destroy is reported after it closes.
 */
export function watchHandles(types: readonly string[] = LEAKABLE_HANDLES): HandleWatch {
  const live = new Map<number, string>();
  const hook = createHook({
    init: (id, type) => {
      if (types.includes(type)) live.set(id, type);
    },
    destroy: (id) => void live.delete(id),
  }).enable();
  return {
    stop: async () => {
      await new Promise((resolve) => setImmediate(resolve));
      hook.disable();
      const counts: Record<string, number> = {};
      for (const type of live.values()) counts[type] = (counts[type] ?? 0) + 1;
      return counts;
    },
  };
}
