import type { Logger } from '@nestjs/common';
import type { SseBroker } from '../brokers/sse-broker.interface.js';
import { SSE_RUNS_MESSAGES } from './sse-runs.messages.js';

/**
 * The broker subscriptions `SseRuns` holds on channels no stream joins (the
 * runs' state channels, the leases channel), counted: subscribed by the
 * first who needs a channel, unsubscribed when the last lets go. The one
 * owner of those subscriptions.
 */
export class ChannelSubscriptions {
  private readonly held = new Map<string, { refs: number; subscribed: Promise<void> }>();

  constructor(
    private readonly broker: SseBroker,
    private readonly logger: Logger,
  ) {}

  /** Whether this instance hears `channel` (or is subscribing to it). */
  has(channel: string): boolean {
    return this.held.has(channel);
  }

  /** How many channels are held. */
  get size(): number {
    return this.held.size;
  }

  /** Resolves once the broker delivers `channel`'s events here; rejects (holding nothing) if it cannot. */
  async acquire(channel: string): Promise<void> {
    let entry = this.held.get(channel);
    if (entry) entry.refs++;
    else {
      entry = { refs: 1, subscribed: Promise.resolve().then(() => this.broker.subscribe(channel)) };
      this.held.set(channel, entry);
    }
    try {
      await entry.subscribed;
    } catch (error) {
      this.release(channel);
      throw error;
    }
  }

  /** One holder of `channel` lets go; the last one unsubscribes it. */
  release(channel: string): void {
    const entry = this.held.get(channel);
    if (!entry || --entry.refs > 0) return;
    this.held.delete(channel);
    void entry.subscribed
      // Held again in the meantime (released and acquired in one turn): keep it.
      .then(() => (this.held.has(channel) ? undefined : this.broker.unsubscribe(channel)))
      .catch((error: unknown) => this.logger.warn(SSE_RUNS_MESSAGES.unwatchFailed(channel, error)));
  }

  /** Forgets every subscription (the broker is closing with the app: nothing to unsubscribe). */
  clear(): void {
    this.held.clear();
  }
}
