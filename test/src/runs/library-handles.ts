import { createHook } from 'node:async_hooks';

/** Where the library's own code lives (its testing kit is the client side of the tests, not the library). */
const LIBRARY = /\/lib\/(?!testing\/)/;

/** The first frame of a creation stack that is not Node's or the hook's own: who asked for the handle. */
function creatorOf(stack: string): string | undefined {
  return stack
    .split('\n')
    .slice(1)
    .find((line) => !line.includes('node:') && !line.includes('library-handles.ts') && !line.includes('(<anonymous>)'));
}

/**
 * Watches the sockets and timers that the library itself creates from now
 * on (the first caller outside Node is a file of `lib/`, not of its testing
 * kit): what Node makes for its own sake (the Date header cache of HTTP
 * responses), the test runner's timers and the test's client sockets do not
 * count. `stop()` waits a turn of the event loop, then returns what is left.
 */
export function watchLibraryHandles(): { stop(): Promise<string[]> } {
  const live = new Map<number, string>();
  const hook = createHook({
    init: (id, type) => {
      if (type !== 'Timeout' && type !== 'TCPWRAP' && type !== 'TCPCONNECTWRAP') return;
      const stack = new Error().stack ?? '';
      const creator = creatorOf(stack);
      // A timer asked for by Node's own code (the caller of its timers module is internal) is Node's.
      const frames = stack.split('\n');
      const timers = frames.findLastIndex((line) => /node:(internal\/)?timers/.test(line));
      if (type === 'Timeout' && timers >= 0 && frames[timers + 1]?.includes('node:')) return;
      if (creator && LIBRARY.test(creator)) live.set(id, `${type} ${creator.trim()}`);
    },
    destroy: (id) => void live.delete(id),
  }).enable();
  return {
    stop: async () => {
      await new Promise((resolve) => setImmediate(resolve));
      hook.disable();
      return [...live.values()];
    },
  };
}
