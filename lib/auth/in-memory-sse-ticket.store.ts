import { checkInteger } from '../options/check-option.js';
import type { SseTicketStore } from './sse-ticket-store.interface.js';

/** Options of `new InMemorySseTicketStore(...)`. */
export interface InMemorySseTicketStoreOptions {
  /**
   * Tickets held at most (issued, not redeemed, not expired yet). Past it,
   * issuing one lets go of the oldest, which is then refused like a used
   * one. Default 10000; each holds its record (at most 8 KiB).
   */
  maxTickets?: number;
}

interface HeldTicket {
  readonly record: string;
  readonly expiresAt: number;
}

/**
 * The ticket store of a single instance, the default: a map in this
 * process, bounded by `maxTickets` (oldest let go of first). It runs no
 * timer: an expired ticket is refused when it is redeemed, and let go of when
 * a later issue finds it at the front of the map (tickets expire in about
 * the order they are issued), or when it is the oldest past the bound.
 * Emptied when the app shuts down.
 *
 * With several instances behind a load balancer a ticket issued by one can
 * reach another: use `RedisSseTicketStore` there.
 */
export class InMemorySseTicketStore implements SseTicketStore {
  /** In the order they were issued: the first is the oldest. */
  private readonly tickets = new Map<string, HeldTicket>();
  private readonly maxTickets: number;

  constructor(options: InMemorySseTicketStoreOptions = {}) {
    this.maxTickets = checkInteger('InMemorySseTicketStore maxTickets', options?.maxTickets, 1, 10_000, 10_000_000);
  }

  /** Tickets held now (expired ones not let go of yet included). */
  get size(): number {
    return this.tickets.size;
  }

  /** Keeps `record` under `key` for `ttlMs`; past `maxTickets`, the oldest ticket is let go. */
  put(key: string, record: string, ttlMs: number): void {
    const now = Date.now();
    this.dropExpired(now);
    this.tickets.delete(key);
    this.tickets.set(key, { record, expiresAt: now + ttlMs });
    for (const oldest of this.tickets.keys()) {
      if (this.tickets.size <= this.maxTickets) break;
      this.tickets.delete(oldest);
    }
  }

  /** The record under `key`, once: it is gone afterwards (and `undefined` once expired). */
  take(key: string): string | undefined {
    const held = this.tickets.get(key);
    if (held === undefined) return undefined;
    this.tickets.delete(key);
    return held.expiresAt > Date.now() ? held.record : undefined;
  }

  /** Forgets every ticket. */
  close(): void {
    this.tickets.clear();
  }

  /** Lets go of the expired tickets at the front (the oldest), up to the first that is still valid. */
  private dropExpired(now: number): void {
    for (const [key, held] of this.tickets) {
      if (held.expiresAt > now) return;
      this.tickets.delete(key);
    }
  }
}
