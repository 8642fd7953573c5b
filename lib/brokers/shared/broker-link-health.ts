import type { Logger } from '@nestjs/common';
import type { SseBrokerStatus } from '../sse-broker.interface.js';
import { reasonOf } from './broker-failure-reason.js';

/** The texts of one broker's link health, each naming its service (`No connection to <Service>`...). */
export interface BrokerLinkMessages {
  /** The one line logged when the link is lost: says `No connection to <Service>`. */
  linkLost(target: string, reason: string): string;
  /** The one line logged when an outage is over: says `Reconnected to <Service>`. */
  linkRestored(target: string): string;
  statusConnecting(target: string, reason: string | undefined): string;
  statusDown(target: string, reason: string): string;
  statusResyncing(target: string): string;
  /** For a service that is connected but does not answer; only needed by a broker that calls `stalled()`. */
  statusStalled?(target: string, ms: number): string;
  /** The reason `status()` gives for an outage with no error reported. */
  connectionClosed(): string;
}

/** What a `BrokerLinkHealth` is built with. */
export interface BrokerLinkHealthOptions {
  /** Where the service is (host:port...), for messages: never a password. */
  readonly target: () => string;
  readonly logger: Logger;
  readonly messages: BrokerLinkMessages;
  /** The level of the line an outage logs (Redis logs an error, the others a warning). */
  readonly lostLevel: 'error' | 'warn';
  /** The reason the line of a lost link gives when no error was reported (default: `messages.connectionClosed()`). */
  readonly lostReason?: () => string;
}

/**
 * Whether a broker's link to its service is down, and why: the last error
 * (what a refusal names), ONE log line when the link is lost and ONE when it
 * is back, whatever happens in between; and the state `status()` reports,
 * with when it last changed: `down` until the link has been up once and
 * during an outage (or while the service is connected but does not answer:
 * `stalled()`), `resyncing` from when it is connected again until the broker
 * has delivered its `gap` (`restored()`), `up` otherwise. The one owner of
 * this state in a broker; each broker gives its messages and target.
 *
 * @example
 * const health = new BrokerLinkHealth({ target: () => 'db:5432', logger, messages, lostLevel: 'warn' });
 * health.failed(new Error('ECONNREFUSED'));
 * health.lost(); // logs `No connection to ...` once
 * health.connected(); // resyncing
 * health.restored(); // logs `Reconnected to ...`, returns true
 */
export class BrokerLinkHealth {
  private down = false;
  private state: SseBrokerStatus['state'] = 'down';
  private since = Date.now();
  /** A command timed out while the link was up (the service stalls): how long it waited. Cleared by an answer. */
  private stalledMs: number | undefined;
  /** The connection closed for good, not by the broker: down forever. */
  private ended = false;
  /** The last error reported since the link was last up. */
  lastError: string | undefined;

  constructor(private readonly options: BrokerLinkHealthOptions) {}

  /** Whether an outage was logged and is not over (resyncing included). */
  get outage(): boolean {
    return this.down;
  }

  /** Whether an outage was logged and the link is not back yet (not even resyncing): commands are refused at once. */
  get refusing(): boolean {
    return this.down && this.state === 'down';
  }

  /** The state `status()` reports. */
  get current(): SseBrokerStatus['state'] {
    return this.state;
  }

  /**
   * Takes over an outage that `before` (an earlier health of the same link)
   * logged: the next `restored()` logs the recovery, and no second loss is
   * logged meanwhile.
   */
  continueFrom(before: BrokerLinkHealth): void {
    if (!before.down) return;
    this.down = true;
    this.lastError = before.lastError;
  }

  /** The link's state now, for `SseBroker.status()`: the detail names the server and the last error, never a password. */
  status(): SseBrokerStatus {
    const { state, since } = this;
    const { messages } = this.options;
    const target = this.options.target();
    if (state === 'up') return { state, since };
    if (state === 'resyncing') return { state, since, detail: messages.statusResyncing(target) };
    if (this.stalledMs !== undefined && messages.statusStalled) {
      return { state, since, detail: messages.statusStalled(target, this.stalledMs) };
    }
    const detail =
      this.down || this.ended
        ? messages.statusDown(target, this.lastError ?? messages.connectionClosed())
        : messages.statusConnecting(target, this.lastError);
    return { state, since, detail };
  }

  /** A connection or a command reported `error`. */
  failed(error: unknown): void {
    this.lastError = reasonOf(error);
  }

  /** The link is lost (or could not be made), with `reason` if given: down, and the outage logged once. */
  lost(reason?: string): void {
    if (reason !== undefined) this.lastError = reason;
    this.stalledMs = undefined;
    this.set('down');
    if (this.down) return;
    this.down = true;
    const { target, logger, messages, lostLevel, lostReason } = this.options;
    const line = messages.linkLost(target(), this.lastError ?? (lostReason ?? messages.connectionClosed)());
    if (lostLevel === 'error') logger.error(line);
    else logger.warn(line);
  }

  /** The link is connected again during an outage: resyncing until `restored()`. */
  connected(): void {
    if (this.down) this.set('resyncing');
  }

  /** The link is there (for the first time or back): resyncing until `restored()`, unless it ended. */
  reconnected(): void {
    if (!this.ended) this.set('resyncing');
  }

  /** Setting the link up again (resubscribing, listening) failed: down, with the error as detail, until a retry succeeds (no new log line). */
  setupFailed(error: unknown): void {
    this.failed(error);
    this.stalledMs = undefined;
    this.set('down');
  }

  /** A command timed out while the link was up (the service is connected but stalls): down until it answers. */
  stalled(ms: number): void {
    if (this.state !== 'up') return;
    this.stalledMs = ms;
    this.set('down');
  }

  /** The service answered a command: a stall is over. */
  answered(): void {
    if (this.stalledMs === undefined) return;
    this.stalledMs = undefined;
    if (!this.down) this.set('up');
  }

  /** The link is set up and its `gap` delivered: up. Returns whether that ends an outage (then logged). */
  restored(): boolean {
    if (this.ended) return false;
    this.stalledMs = undefined;
    this.set('up');
    if (!this.down) return false;
    this.down = false;
    this.lastError = undefined;
    this.options.logger.log(this.options.messages.linkRestored(this.options.target()));
    return true;
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
