import { reasonOf } from '../shared/broker-failure-reason.js';
import { withTimeout as within } from '../shared/broker-timeout.js';
import { REDIS_SSE_MESSAGES } from './redis-sse.messages.js';

export { reasonOf, redactCredentials } from '../shared/broker-failure-reason.js';

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
  return within(promise, ms, timeoutError);
}
