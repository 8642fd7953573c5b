import type { Logger } from '@nestjs/common';
import type { SseBrokerStatus } from '../sse-broker.interface.js';
import { reasonOf } from './postgres-sse-failure.js';
import { POSTGRES_SSE_MESSAGES } from './postgres-sse.messages.js';

/**
 * Whether the broker's link to PostgreSQL is down, and why: the last error
 * (what a refusal names), one log line when the link is lost and one when it
 * is back; and the state `status()` reports, with when it last changed:
 * `down` until the LISTEN connection has been set up once and during an
 * outage, `resyncing` from when it is connected again until its `gap` has
 * been delivered, `up` otherwise. PostgreSQL that is connected but does not
 * answer (a command timed out) is `down` too, until it answers again.
 */
export class PostgresSseLinkHealth {
  private down = false;
  private state: SseBrokerStatus['state'] = 'down';
  private since = Date.now();
  /** A command timed out while the link was up (PostgreSQL stalls): how long it waited. Cleared by an answer. */
  private stalledMs: number | undefined;
  /** The last error since the link was last up. */
  lastError: string | undefined;

  constructor(
    /** host:port/database of PostgreSQL, for messages. */
    private readonly target: string,
    private readonly logger: Logger,
  ) {}

  /**
   * Whether an outage was logged and the connection is not back yet:
   * commands are refused at once meanwhile. Not while resyncing: the hub
   * reads history from the `gap` then.
   */
  get isDown(): boolean {
    return this.down && this.state === 'down';
  }

  /** The link's state now, for `SseBroker.status()`: the detail names the server and the last error, never a password. */
  status(): SseBrokerStatus {
    const { state, since, target } = this;
    if (state === 'up') return { state, since };
    if (state === 'resyncing') return { state, since, detail: POSTGRES_SSE_MESSAGES.statusResyncing(target) };
    if (this.stalledMs !== undefined) {
      return { state, since, detail: POSTGRES_SSE_MESSAGES.statusStalled(target, this.stalledMs) };
    }
    const detail = this.down
      ? POSTGRES_SSE_MESSAGES.statusDown(target, this.lastError ?? POSTGRES_SSE_MESSAGES.connectionClosed())
      : POSTGRES_SSE_MESSAGES.statusConnecting(target, this.lastError);
    return { state, since, detail };
  }

  /** The connection or a command reported `error`. */
  failed(error: unknown): void {
    this.lastError = reasonOf(error);
  }

  /** The LISTEN connection was lost (or could not be made): the outage is logged once. */
  lost(): void {
    this.stalledMs = undefined;
    this.set('down');
    if (this.down) return;
    this.down = true;
    this.logger.warn(
      POSTGRES_SSE_MESSAGES.linkLost(this.target, this.lastError ?? POSTGRES_SSE_MESSAGES.connectionClosed()),
    );
  }

  /** The LISTEN connection is connected again during an outage: resyncing until `restored()`. */
  connected(): void {
    if (this.down) this.set('resyncing');
  }

  /** A command of the broker timed out while the link was up (PostgreSQL stalls): down until it answers. */
  stalled(ms: number): void {
    if (this.state !== 'up') return;
    this.stalledMs = ms;
    this.set('down');
  }

  /** PostgreSQL answered a command: a stall is over. */
  answered(): void {
    if (this.stalledMs === undefined) return;
    this.stalledMs = undefined;
    if (!this.down) this.set('up');
  }

  /** The link listens and its sync has been delivered: returns whether that ends an outage (then logged). */
  restored(): boolean {
    this.stalledMs = undefined;
    this.set('up');
    if (!this.down) return false;
    this.down = false;
    this.lastError = undefined;
    this.logger.log(POSTGRES_SSE_MESSAGES.linkRestored(this.target));
    return true;
  }

  private set(state: SseBrokerStatus['state']): void {
    if (this.state === state) return;
    this.state = state;
    this.since = Date.now();
  }
}
