import type { SseConnection } from './sse-connection.js';

/**
 * Resolves once every stream of `connections` still `live` has closed;
 * destroys those still open after `graceMs` (with the reason `shutdown`).
 */
export function whenAllClosed(
  connections: readonly SseConnection[],
  live: (connection: SseConnection) => boolean,
  graceMs: number,
): Promise<void> {
  const stillOpen = connections.filter(live);
  if (stillOpen.length === 0) return Promise.resolve();
  return new Promise<void>((resolve) => {
    let remaining = stillOpen.length;
    const cutOff = setTimeout(() => {
      for (const connection of stillOpen) connection.destroy('shutdown');
    }, graceMs);
    for (const connection of stillOpen) {
      connection.onClose(() => {
        if (--remaining === 0) {
          clearTimeout(cutOff);
          resolve();
        }
      });
    }
  });
}
