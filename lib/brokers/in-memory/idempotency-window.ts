import type { SseBrokerPosition } from '../sse-broker.interface.js';

interface Entry {
  readonly position: SseBrokerPosition;
  readonly expiresAt: number;
}

/**
 * The idempotency keys of recent publishes, by channel, and the position
 * each publish got: for `ttlMs`, and at most `maxKeys` of them (past it, the
 * oldest is forgotten). Every key lives as long, so the Map's insertion
 * order is the order in which they expire.
 */
export class IdempotencyWindow {
  private readonly entries = new Map<string, Entry>();

  constructor(
    private readonly ttlMs: number,
    private readonly maxKeys: number,
  ) {}

  /** The position of the publish with `key` on `channel` within the window, if there was one. */
  find(channel: string, key: string, now: number): SseBrokerPosition | undefined {
    this.prune(now);
    return this.entries.get(idOf(channel, key))?.position;
  }

  /** Remembers that the publish with `key` on `channel` got `position`. */
  remember(channel: string, key: string, position: SseBrokerPosition, now: number): void {
    const id = idOf(channel, key);
    this.entries.delete(id);
    this.entries.set(id, { position, expiresAt: now + this.ttlMs });
    if (this.entries.size > this.maxKeys) this.entries.delete(this.entries.keys().next().value as string);
  }

  clear(): void {
    this.entries.clear();
  }

  private prune(now: number): void {
    for (const [id, entry] of this.entries) {
      if (entry.expiresAt > now) return;
      this.entries.delete(id);
    }
  }
}

/** `#` is not a character of channel names: the first one ends the channel. */
function idOf(channel: string, key: string): string {
  return `${channel}#${key}`;
}
