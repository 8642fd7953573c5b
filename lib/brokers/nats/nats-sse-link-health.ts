import type { Logger } from '@nestjs/common';
import type { SseBrokerStatus } from '../sse-broker.interface.js';
import { reasonOf } from '../redis/redis-sse-failure.js';
import { NATS_SSE_MESSAGES } from './nats-sse.messages.js';

/**
 * Whether the broker's link to NATS is down, and why: the last error (what a
 * refusal names), one log line when the link is lost and one when it is back
 * (`No connection to NATS`, `Reconnected to NATS`, whatever happens in
 * between); and the state `status()` reports, with when it last changed:
 * `down` until the link has been set up once and during an outage,
 * `resyncing` from when the connection is back until the broker's consumer
 * runs again and its `gap` was delivered, `up` otherwise.
 */
export class NatsSseLinkHealth {
  private down = false;
  private state: SseBrokerStatus['state'] = 'down';
  private since = Date.now();
  /** The last error the connection or a setup reported since the link was last up. */
  lastError: string | undefined;
  /** The connection closed for good (not by the broker): down forever. */
  private ended = false;

  constructor(
    /** host:port of the server, for messages (never a password). */
    private readonly target: () => string,
    private readonly logger: Logger,
  ) {}

  /** The state `status()` reports. */
  get current(): SseBrokerStatus['state'] {
    return this.state;
  }

  /** The link's state now, for `SseBroker.status()`. */
  status(): SseBrokerStatus {
    const { state, since } = this;
    const target = this.target();
    if (state === 'up') return { state, since };
    if (state === 'resyncing') return { state, since, detail: NATS_SSE_MESSAGES.statusResyncing(target) };
    const detail =
      this.down || this.ended
        ? NATS_SSE_MESSAGES.statusDown(target, this.lastError ?? NATS_SSE_MESSAGES.connectionClosed())
        : NATS_SSE_MESSAGES.statusConnecting(target, this.lastError);
    return { state, since, detail };
  }

  /** The connection or a request reported `error`. */
  failed(error: unknown): void {
    this.lastError = reasonOf(error);
  }

  /** The connection is lost: down, and the outage logged once (not again until it is restored). */
  lost(reason?: string): void {
    if (reason !== undefined) this.lastError = reason;
    this.set('down');
    if (this.down) return;
    this.down = true;
    this.logger.warn(NATS_SSE_MESSAGES.linkLost(this.target(), this.lastError ?? NATS_SSE_MESSAGES.connectionLost()));
  }

  /** The connection is back (or there for the first time): resyncing until `restored()`. */
  reconnected(): void {
    if (!this.ended) this.set('resyncing');
  }

  /** A setup after the connection came back failed: down again (no new log line) until a retry succeeds. */
  setupFailed(error: unknown): void {
    this.failed(error);
    this.set('down');
  }

  /** The consumer runs again and the gap was delivered: up; logged if that ends an outage. */
  restored(): void {
    if (this.ended) return;
    this.set('up');
    if (!this.down) return;
    this.down = false;
    this.lastError = undefined;
    this.logger.log(NATS_SSE_MESSAGES.linkRestored(this.target()));
  }

  /** The connection closed for good, not by the broker (its owner closed it, or the server refused it). */
  end(reason: string): void {
    this.ended = true;
    this.lastError = reason;
    this.set('down');
  }

  private set(state: SseBrokerStatus['state']): void {
    if (this.state === state) return;
    this.state = state;
    this.since = Date.now();
  }
}
