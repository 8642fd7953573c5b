/** Longest record a ticket store is given (8 KiB of UTF-8): the JSON of the user and the credential's expiry. */
export const MAX_TICKET_RECORD_BYTES = 8192;

/**
 * Where `SseTickets` keeps the tickets it issued until they are redeemed:
 * the module option `auth.tickets.store`. Default: `InMemorySseTicketStore`
 * (one instance); `RedisSseTicketStore` (`nestjs-event-stream/redis`) when a
 * ticket issued by one instance may be redeemed on another.
 *
 * A store never sees a ticket: `key` is the SHA-256 digest of the ticket
 * (43 base64url characters), so that what the store holds, logs or shows
 * (a Redis `MONITOR`, `SLOWLOG`, a memory dump) cannot be redeemed. `record`
 * is JSON text of at most `MAX_TICKET_RECORD_BYTES`.
 */
export interface SseTicketStore {
  /** Keeps `record` under `key` for `ttlMs` (an integer >= 1), after which it is gone. */
  put(key: string, record: string, ttlMs: number): Promise<void> | void;
  /**
   * The record under `key`, removed in the same atomic step: of any number of
   * concurrent takes of one key (on every instance sharing the store), exactly
   * one gets the record, and every later one `undefined`. An expired record
   * is `undefined` too. Reject (or throw) when the store cannot be reached:
   * the request is answered 503, never 401.
   */
  take(key: string): Promise<string | undefined> | string | undefined;
  /** Lets go of what the store holds (memory, connections it opened). Called once, when the app shuts down. */
  close?(): Promise<void> | void;
}
