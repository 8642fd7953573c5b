import { ClientMessages } from './client.messages.js';
import { EventStreamError } from './event-stream.error.js';
import { errorText } from './request.js';

/** A listener of any key. */
type Listener = (...args: never[]) => void;

/**
 * The client's listeners, by key (`event:<type>`, `state`, `error`, `end`,
 * `reset`). A listener that throws does not stop the others nor the client:
 * its error goes to the `error` listeners, or, when there are none (or an
 * `error` listener threw), is thrown in a microtask, as the browser reports
 * an error thrown by an event listener.
 */
export class ListenerRegistry {
  private readonly byKey = new Map<string, Set<Listener>>();

  /** Adds a listener; returns a function that removes it. */
  add(key: string, listener: Listener): () => void {
    let set = this.byKey.get(key);
    if (!set) this.byKey.set(key, (set = new Set()));
    set.add(listener);
    return () => void set.delete(listener);
  }

  /**
   * Calls the listeners of `key` with `first` and `second`, in the order they
   * were added; a listener added meanwhile is called from the next emit on.
   * (Two fixed arguments, no copy for a single listener: this runs per event.)
   */
  emit(key: string, first?: unknown, second?: unknown): void {
    const set = this.byKey.get(key);
    if (!set || set.size === 0) return;
    if (set.size === 1) {
      // The one listener, taken before it runs: one it adds is called from the next emit on.
      this.call(key, set.values().next().value as Listener, first, second);
      return;
    }
    for (const listener of [...set]) this.call(key, listener, first, second);
  }

  private call(key: string, listener: Listener, first: unknown, second: unknown): void {
    try {
      (listener as (a: unknown, b: unknown) => void)(first, second);
    } catch (cause) {
      if (key !== 'error' && (this.byKey.get('error')?.size ?? 0) > 0) {
        this.emit('error', new EventStreamError('listener', ClientMessages.listener(key, errorText(cause)), { cause }));
      } else {
        queueMicrotask(() => {
          throw cause;
        });
      }
    }
  }
}
