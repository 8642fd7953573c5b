import type { Logger } from '@nestjs/common';
import type { SseBrokerStatus } from '../sse-broker.interface.js';
import type { RedisSseConnections } from './redis-sse-connections.js';
import { reasonOf } from './redis-sse-failure.js';
import { REDIS_SSE_MESSAGES } from './redis-sse.messages.js';

/**
 * Whether the broker's link to Redis is down, and why: the last error a
 * connection reported (what a refusal names), one log line when the link is
 * lost and one when it is back; and the state `status()` reports, with when
 * it last changed: `down` until the link has been up once and during an
 * outage, `resyncing` from when both connections are ready again until the
 * resubscription is done and its `gap` delivered (`down` again while Redis
 * refuses it or does not answer it, until a retry succeeds), `up` otherwise.
 * A connected Redis that does not answer (a command timed out) is `down` too,
 * until it answers again.
 */
export class RedisSseLinkHealth {
  private down = false;
  private state: SseBrokerStatus['state'] = 'down';
  private since = Date.now();
  /** A command timed out while the link was up (Redis stalls): how long it waited. Cleared by an answer. */
  private stalledMs: number | undefined;
  /** The last error a connection reported since the link was last up. */
  lastError: string | undefined;

  constructor(
    private readonly connections: Pick<RedisSseConnections, 'target'>,
    private readonly logger: Logger,
  ) {}

  /**
   * Takes over an outage that `before` (the health of the broker's opening,
   * which asks the server what it is) logged: the next `restored()` logs the
   * recovery, and no second loss is logged meanwhile.
   */
  continueFrom(before: RedisSseLinkHealth): void {
    if (!before.down) return;
    this.down = true;
    this.lastError = before.lastError;
  }

  /** Whether the link is known to be down (an outage was logged and is not over). */
  get isDown(): boolean {
    return this.down;
  }

  /** The link's state now, for `SseBroker.status()`: the detail names the server and the last error, never a password. */
  status(): SseBrokerStatus {
    const { state, since } = this;
    const target = this.connections.target();
    if (state === 'up') return { state, since };
    if (state === 'resyncing') return { state, since, detail: REDIS_SSE_MESSAGES.statusResyncing(target) };
    if (this.stalledMs !== undefined) {
      return { state, since, detail: REDIS_SSE_MESSAGES.statusStalled(target, this.stalledMs) };
    }
    const detail = this.down
      ? REDIS_SSE_MESSAGES.statusDown(target, this.lastError ?? REDIS_SSE_MESSAGES.connectionClosed())
      : REDIS_SSE_MESSAGES.statusConnecting(target, this.lastError);
    return { state, since, detail };
  }

  /** A connection or a command reported `error`. */
  failed(error: unknown): void {
    this.lastError = reasonOf(error);
  }

  /** The resubscription failed (Redis refused it or did not answer): down, with the error as detail, until a retry succeeds. */
  syncFailed(error: unknown): void {
    this.failed(error);
    this.stalledMs = undefined;
    this.set('down');
  }

  /** A command of the link timed out while it was up (Redis is connected but stalls): down until it answers. */
  stalled(ms: number): void {
    if (this.state !== 'up') return;
    this.stalledMs = ms;
    this.set('down');
  }

  /** Redis answered a command: a stall is over. */
  answered(): void {
    if (this.stalledMs === undefined) return;
    this.stalledMs = undefined;
    if (!this.down) this.set('up');
  }

  /** A connection closed: the outage is logged once. */
  lost(): void {
    this.stalledMs = undefined;
    this.set('down');
    if (this.down) return;
    this.down = true;
    this.logger.error(
      REDIS_SSE_MESSAGES.linkLost(this.connections.target(), this.lastError ?? REDIS_SSE_MESSAGES.connectionClosed()),
    );
  }

  /** A connection is ready: once both are (`bothReady`) during an outage, the broker is resyncing (until `restored()`). */
  connectionReady(bothReady: boolean): void {
    if (this.down && bothReady) this.set('resyncing');
  }

  /** Both connections are ready and subscribed: returns whether that ends an outage (then logged). */
  restored(): boolean {
    this.stalledMs = undefined;
    this.set('up');
    if (!this.down) return false;
    this.down = false;
    this.lastError = undefined;
    this.logger.log(REDIS_SSE_MESSAGES.linkRestored(this.connections.target()));
    return true;
  }

  private set(state: SseBrokerStatus['state']): void {
    if (this.state === state) return;
    this.state = state;
    this.since = Date.now();
  }
}
