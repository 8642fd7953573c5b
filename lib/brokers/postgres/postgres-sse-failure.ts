import { withTimeout as within } from '../shared/broker-timeout.js';
import { POSTGRES_SSE_MESSAGES } from './postgres-sse.messages.js';

export { reasonOf } from '../shared/broker-failure-reason.js';

/** Errors of the OS (a connection refused, reset, cut or never made) that say PostgreSQL cannot be reached. */
const NETWORK_CODES = new Set([
  'ECONNREFUSED',
  'ECONNRESET',
  'ECONNABORTED',
  'EPIPE',
  'ETIMEDOUT',
  'EHOSTUNREACH',
  'EHOSTDOWN',
  'ENETUNREACH',
  'ENETDOWN',
  'ENOTFOUND',
  'EAI_AGAIN',
]);

/**
 * SQLSTATEs that say the server is away or going: class 08 (connection
 * exception), 57P01..57P05 (admin or crash shutdown, cannot connect now,
 * database dropped, idle session timeout), 53300 (too many connections).
 */
function isUnavailableState(code: string): boolean {
  return code.startsWith('08') || /^57P0[1-5]$/.test(code) || code === '53300';
}

/** What pg says when the connection closed or could not be made, in the messages it has no code for. */
const CONNECTION_MESSAGES =
  /Connection terminated|connection error and is not queryable|timeout exceeded when trying to connect|Client was closed|Connection is closed|timeout expired/i;

/** Whether `error` says PostgreSQL is unreachable or left (not that it refused what it was asked). */
export function isConnectionError(error: unknown): boolean {
  const { code, message } = (error ?? {}) as { code?: unknown; message?: unknown };
  if (typeof code === 'string' && (NETWORK_CODES.has(code) || isUnavailableState(code))) return true;
  return typeof message === 'string' && CONNECTION_MESSAGES.test(message);
}

/** Whether `error` is PostgreSQL cancelling a statement (`statement_timeout`): it was rolled back. */
export function isCancelled(error: unknown): boolean {
  return (error as { code?: unknown } | null)?.code === '57014';
}

/** Whether `error` is the rejection of `withTimeout()`: PostgreSQL did not answer in time. */
export function isTimeout(error: unknown): boolean {
  return (error as Error | null)?.name === 'PostgresSseTimeout';
}

/** The error of a wait for PostgreSQL that lasted `ms`: `isTimeout()` knows it. */
export function timeoutError(ms: number): Error {
  const error = new Error(POSTGRES_SSE_MESSAGES.noAnswer(ms));
  error.name = 'PostgresSseTimeout';
  return error;
}

/** Resolves after `promise`, or rejects after `ms` (with an error `isTimeout()` knows). */
export function withTimeout<T>(promise: Promise<T>, ms: number): Promise<T> {
  return within(promise, ms, timeoutError);
}
