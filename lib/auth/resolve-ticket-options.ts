import { SSE_MESSAGES } from '../sse.messages.js';
import { checkInteger } from '../options/check-option.js';
import type { SseTicketOptions } from './sse-ticket-options.interface.js';
import type { SseTicketStore } from './sse-ticket-store.interface.js';
import { parseTokenSource, type ParsedTokenSource } from './token-sources.js';

/** How long a ticket can be redeemed when `auth.tickets.ttlMs` is not set. */
const DEFAULT_TICKET_TTL_MS = 30_000;
/** The longest `auth.tickets.ttlMs`: a ticket is for opening a stream now, not for later. */
const MAX_TICKET_TTL_MS = 300_000;

/** `auth.tickets`, checked, with the defaults filled in (the default store is made by `SseTickets`). */
export interface ResolvedSseTicketOptions {
  /** `auth.tickets.store`; `undefined` for the default in-memory store. */
  store: SseTicketStore | undefined;
  ttlMs: number;
  /** `query:<auth.tickets.query>`: where the guard reads the ticket from. */
  source: ParsedTokenSource;
}

function isStore(value: unknown): value is SseTicketStore {
  const store = value as Partial<SseTicketStore> | null;
  return (
    typeof store === 'object' && store !== null && typeof store.put === 'function' && typeof store.take === 'function'
  );
}

/**
 * Validates `auth.tickets` (naming the bad option) and fills in its
 * defaults; `undefined` when tickets are off. `from`: the token sources,
 * none of which may read the ticket's query parameter.
 */
export function resolveTicketOptions(
  option: unknown,
  from: readonly ParsedTokenSource[],
): ResolvedSseTicketOptions | undefined {
  if (option === undefined) return undefined;
  if (typeof option !== 'object' || option === null || Array.isArray(option)) {
    throw new Error(SSE_MESSAGES.invalidOption('auth.tickets', option, 'an object ({ store?, ttlMs?, query? })'));
  }
  const tickets = option as SseTicketOptions;
  if (tickets.store !== undefined && !isStore(tickets.store)) {
    throw new Error(
      SSE_MESSAGES.invalidOption(
        'auth.tickets.store',
        tickets.store,
        'an SseTicketStore (an object with put() and take())',
      ),
    );
  }
  const ttlMs = checkInteger('auth.tickets.ttlMs', tickets.ttlMs, 1, DEFAULT_TICKET_TTL_MS, MAX_TICKET_TTL_MS);
  const query: unknown = tickets.query ?? 'ticket';
  const source = typeof query === 'string' ? parseTokenSource(`query:${query}`) : undefined;
  if (!source) {
    throw new Error(
      SSE_MESSAGES.invalidOption(
        'auth.tickets.query',
        query,
        'a query parameter name: 1 to 256 characters, no whitespace',
      ),
    );
  }
  if (from.some((token) => token.kind === 'query' && token.name === source.name)) {
    throw new Error(SSE_MESSAGES.ticketQueryTaken(source.name));
  }
  return { store: tickets.store, ttlMs, source };
}
