import {
  HttpException,
  Inject,
  Injectable,
  Logger,
  ServiceUnavailableException,
  UnauthorizedException,
  type OnApplicationShutdown,
} from '@nestjs/common';
import { createHash, randomBytes } from 'node:crypto';
import { SSE_RESOLVED_OPTIONS } from '../sse.constants.js';
import { SSE_MESSAGES, errorMessage } from '../sse.messages.js';
import type { ResolvedSseModuleOptions } from '../options/resolve-module-options.js';
import { InMemorySseTicketStore } from './in-memory-sse-ticket.store.js';
import type { ResolvedSseTicketOptions } from './resolve-ticket-options.js';
import { MAX_TICKET_RECORD_BYTES, type SseTicketStore } from './sse-ticket-store.interface.js';

/** A ticket: 32 random bytes, base64url (43 characters). */
const TICKET = /^[A-Za-z0-9_-]{43}$/;

/** Options of `SseTickets.issue()`. */
export interface SseTicketIssueOptions {
  /**
   * When the credential the ticket is issued from expires (a `Date` or ms
   * since the epoch): the ticket cannot be redeemed after it, and the stream
   * it opens is ended then, as a stream opened with that credential would be.
   * Default: the user's `exp` claim (seconds, as on a JWT's claims) when it
   * has a numeric one, else none.
   */
  expiresAt?: Date | number;
}

/** What a ticket was issued for: what `SseTickets.redeem()` gives back, once. */
export interface SseTicketRecord {
  /** The user given to `issue()`, as JSON gives it back (what becomes `request.user`). */
  user: unknown;
  /** When the credential the ticket was issued from expires (ms since the epoch), if it does. */
  expiresAt?: number;
}

/** The store key of a ticket: its SHA-256 digest, so that no store ever holds a ticket that can be redeemed. */
function keyOf(ticket: string): string {
  return createHash('sha256').update(ticket, 'latin1').digest('base64url');
}

/** `options.expiresAt` in ms, else the user's JWT `exp`; throws for an invalid one. */
function expiryOf(user: unknown, options: SseTicketIssueOptions): number | undefined {
  const given = options.expiresAt;
  if (given === undefined) {
    const exp = (user as { exp?: unknown }).exp;
    return typeof exp === 'number' && Number.isFinite(exp) ? exp * 1000 : undefined;
  }
  const at = given instanceof Date ? given.getTime() : given;
  if (typeof at !== 'number' || !Number.isFinite(at)) throw new TypeError(SSE_MESSAGES.ticketInvalidExpiry(given));
  return at;
}

/** The record of a ticket as JSON text: `{"user":...,"expiresAt":...}`; throws for a user JSON cannot carry. */
function encodeRecord(user: unknown, expiresAt: number | undefined): string {
  let json: string | undefined;
  try {
    json = JSON.stringify(user);
  } catch (error) {
    throw new TypeError(SSE_MESSAGES.ticketUserNotJson(errorMessage(error)));
  }
  if (json === undefined || json === 'null') {
    throw new TypeError(SSE_MESSAGES.ticketUserNotJson(`JSON.stringify() gives ${String(json)} for it`));
  }
  const record = `{"user":${json}${expiresAt === undefined ? '' : `,"expiresAt":${expiresAt}`}}`;
  const bytes = Buffer.byteLength(record, 'utf8');
  if (bytes > MAX_TICKET_RECORD_BYTES)
    throw new TypeError(SSE_MESSAGES.ticketUserTooLarge(bytes, MAX_TICKET_RECORD_BYTES));
  return record;
}

/** A record as `encodeRecord()` wrote it; `undefined` for anything else. */
function decodeRecord(text: unknown): SseTicketRecord | undefined {
  if (typeof text !== 'string') return undefined;
  let record: Partial<SseTicketRecord> | null;
  try {
    record = JSON.parse(text) as Partial<SseTicketRecord> | null;
  } catch {
    return undefined;
  }
  if (typeof record !== 'object' || record === null || record.user === undefined || record.user === null) {
    return undefined;
  }
  const { expiresAt } = record;
  if (expiresAt !== undefined && (typeof expiresAt !== 'number' || !Number.isFinite(expiresAt))) return undefined;
  return expiresAt === undefined ? { user: record.user } : { user: record.user, expiresAt };
}

/**
 * Single-use stream tickets (module option `auth.tickets`). A browser's
 * `EventSource` cannot send a header, and a token in a URL lands in access
 * logs, where anyone who reads them can replay it. A ticket can be replayed
 * by no one: the page asks for one from a route of yours that authenticates
 * with a header, and opens the stream with `?ticket=...`; `SseAuthGuard`
 * redeems it once, within `auth.tickets.ttlMs`, and sets `request.user`
 * to the user it was issued for.
 *
 * Tickets are 32 random bytes (base64url); the store holds their SHA-256
 * digest and never the ticket. Nothing of the library logs a ticket or a token.
 *
 * @example
 * \@Controller('tickets')
 * export class TicketsController {
 *   constructor(private readonly tickets: SseTickets) {}
 *
 *   \@UseGuards(MyBearerGuard) // header auth: never a cookie
 *   \@Post()
 *   async issue(\@Req() request: { user: User }) {
 *     return { ticket: await this.tickets.issue({ id: request.user.id }) };
 *   }
 * }
 */
@Injectable()
export class SseTickets implements OnApplicationShutdown {
  private readonly logger = new Logger('SseTickets');
  private readonly settings: ResolvedSseTicketOptions | undefined;
  private readonly store: SseTicketStore | undefined;

  constructor(@Inject(SSE_RESOLVED_OPTIONS) options: ResolvedSseModuleOptions) {
    this.settings = options.auth.tickets;
    this.store = this.settings && (this.settings.store ?? new InMemorySseTicketStore());
  }

  /** Whether `auth.tickets` is set. */
  get enabled(): boolean {
    return this.settings !== undefined;
  }

  /**
   * Issues a ticket for `user`: a string to send as the `?ticket=` of one
   * stream, within `auth.tickets.ttlMs` (or until `expiresAt`, if sooner).
   * `user` becomes `request.user` of that stream as JSON gives it back: it
   * must be JSON-serialisable (a `TypeError` says so otherwise), at most 8
   * KiB of it. Call it from a route that authenticated the user with a
   * header, never with a cookie (a cross-site form could get tickets).
   * Rejects with 401 when `expiresAt` has passed, and with 503 when the store
   * cannot be reached.
   */
  async issue(user: unknown, options: SseTicketIssueOptions = {}): Promise<string> {
    const { settings, store } = this;
    if (!settings || !store) throw new Error(SSE_MESSAGES.ticketsOff('SseTickets.issue()'));
    if (!user) throw new TypeError(SSE_MESSAGES.ticketNoUser(user));
    const expiresAt = expiryOf(user, options ?? {});
    const record = encodeRecord(user, expiresAt);
    let ttlMs = settings.ttlMs;
    if (expiresAt !== undefined) {
      const left = Math.ceil(expiresAt - Date.now());
      if (left <= 0) throw new UnauthorizedException(SSE_MESSAGES.ticketCredentialExpired());
      ttlMs = Math.min(ttlMs, left);
    }
    const ticket = randomBytes(32).toString('base64url');
    await this.call('store a ticket', () => store.put(keyOf(ticket), record, ttlMs));
    return ticket;
  }

  /**
   * Redeems a ticket, once: what it was issued for, or `undefined` when it is
   * malformed (the store is not asked), unknown, used, expired, or issued
   * from a credential that has expired since. `SseAuthGuard` calls this for
   * `?ticket=`. Rejects with 503 when the store cannot be reached (the
   * ticket may have been used up all the same: ask for a new one).
   */
  async redeem(ticket: string): Promise<SseTicketRecord | undefined> {
    const store = this.store;
    if (!store || typeof ticket !== 'string' || !TICKET.test(ticket)) return undefined;
    const text = await this.call('redeem a ticket', () => store.take(keyOf(ticket)));
    if (text === undefined || text === null) return undefined;
    const record = decodeRecord(text);
    if (!record) {
      this.logger.warn(SSE_MESSAGES.ticketRecordUnreadable());
      return undefined;
    }
    return record.expiresAt !== undefined && record.expiresAt <= Date.now() ? undefined : record;
  }

  /** Lets the store go (the in-memory one empties; a Redis one closes the connection it opened). */
  async onApplicationShutdown(): Promise<void> {
    await this.store?.close?.();
  }

  /**
   * Runs a store call: an `HttpException` (a Redis store's 503) is passed on;
   * any other error is logged and answers 503 with a generic body. No ticket
   * reaches the store, so none reaches its errors.
   */
  private async call<T>(operation: string, run: () => Promise<T> | T): Promise<T> {
    try {
      return await run();
    } catch (error) {
      if (error instanceof HttpException) throw error;
      this.logger.warn(SSE_MESSAGES.ticketStoreFailed(operation, errorMessage(error)));
      throw new ServiceUnavailableException(SSE_MESSAGES.ticketStoreUnavailable());
    }
  }
}
