import { REDIS_SSE_MESSAGES } from './redis-sse.messages.js';

/**
 * Credentials a URL in an error text may carry (`redis://user:password@host`): never in a log line, a refusal or a status.
 * Greedy up to the last `@` before a space: a password may itself hold `@` or `/`.
 */
const CREDENTIALS = /(\b[a-z][\w+.-]*:\/\/)\S*@/gi;

/** What went wrong, in words, for logs, refusals and `status()`: never with the credentials of a URL in it. */
export function reasonOf(error: unknown): string {
  const { message, name } = (error ?? {}) as { message?: unknown; name?: unknown };
  const reason =
    typeof message === 'string' && message !== '' ? message : typeof name === 'string' ? name : String(error);
  return redactCredentials(reason);
}

/** `text` with the credentials of every URL in it replaced by `***`. */
export function redactCredentials(text: string): string {
  return text.replace(CREDENTIALS, '$1***@');
}

/**
 * Whether `error` is a reply by which Redis refused a command for now, not
 * for good: `MOVED` (the key's slot is on another node), or `ASK`,
 * `TRYAGAIN`, `CLUSTERDOWN`, `MASTERDOWN` (a cluster between states),
 * `LOADING` (a server loading its data after a restart), also as the last
 * error of ioredis's Cluster once it gave up retrying. The command was not
 * run: retrying it later may succeed.
 */
export function transientReplyOf(error: unknown): 'MOVED' | 'transient' | undefined {
  const reason = reasonOf(error);
  // ioredis's Cluster retried it until its redirections ran out, each answered so: not run either.
  if (
    /^Too many Cluster redirections\. Last error: ReplyError: (ASK|TRYAGAIN|CLUSTERDOWN|LOADING|MASTERDOWN) /.test(
      reason,
    )
  ) {
    return 'transient';
  }
  if ((error as Error | null)?.name !== 'ReplyError') return undefined;
  if (reason.startsWith('MOVED ')) return 'MOVED';
  return /^(ASK|TRYAGAIN|CLUSTERDOWN|LOADING|MASTERDOWN) /.test(reason) ? 'transient' : undefined;
}

/** Whether `error` is the rejection of `withTimeout()`: Redis did not answer in time. */
export function isTimeout(error: unknown): boolean {
  return (error as Error | null)?.name === 'RedisSseTimeout';
}

/** The error of a wait for Redis that lasted `ms`: `isTimeout()` knows it. */
export function timeoutError(ms: number): Error {
  const error = new Error(REDIS_SSE_MESSAGES.noAnswer(ms));
  error.name = 'RedisSseTimeout';
  return error;
}

/** Resolves after `promise`, or rejects after `ms` (with an error `isTimeout()` knows): no call waits for Redis longer. */
export function withTimeout<T>(promise: Promise<T>, ms: number): Promise<T> {
  let timer: NodeJS.Timeout | undefined;
  const timeout = new Promise<never>((_, reject) => {
    timer = setTimeout(() => reject(timeoutError(ms)), ms);
  });
  return Promise.race([promise, timeout]).finally(() => clearTimeout(timer));
}
