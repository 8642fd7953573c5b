import type { SseTicketStore } from './sse-ticket-store.interface.js';

/**
 * `auth.tickets`: single-use stream tickets, for clients that cannot send a
 * header (a browser's `EventSource`). An authenticated call (header auth, a
 * route of yours) issues one with `SseTickets.issue(user)`; `GET
 * /stream?ticket=...` redeems it, once, within `ttlMs`. Off unless set
 * (`tickets: {}` turns them on with the defaults).
 */
export interface SseTicketOptions {
  /**
   * Where issued tickets wait to be redeemed. Default: a new
   * `InMemorySseTicketStore()` (one instance). With several instances, a
   * `RedisSseTicketStore` (redeemed atomically, on any instance).
   */
  store?: SseTicketStore;
  /**
   * How long a ticket can be redeemed after it is issued, in ms: long enough
   * to open a stream right after asking for the ticket. Default 30000, at
   * most 300000 (5 minutes). A ticket issued from a credential that expires
   * sooner lives only until then.
   */
  ttlMs?: number;
  /**
   * The query parameter the ticket is read from. Default `'ticket'`. It must
   * not be a `'query:<name>'` source of `auth.from` too.
   */
  query?: string;
}
