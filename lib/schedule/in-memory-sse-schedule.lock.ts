import type { SseScheduleLock } from './sse-schedule-lock.interface.js';

/**
 * The schedule lock of a single instance: it always acquires, so every tick
 * runs here. The default when the module option `scheduleLock` is not set.
 */
export class InMemorySseScheduleLock implements SseScheduleLock {
  acquire(_jobName: string, _tickKey: string, _ttlMs: number): boolean {
    return true;
  }
}
