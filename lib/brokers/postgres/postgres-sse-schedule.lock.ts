import type { SseScheduleLock } from '../../schedule/sse-schedule-lock.interface.js';
import type { PostgresSseBroker } from './postgres-sse.broker.js';
import { POSTGRES_SSE_MESSAGES } from './postgres-sse.messages.js';

// eslint-disable-next-line no-control-regex
const CONTROL_CHARACTERS = /[\u0000-\u001f\u007f]/;

/**
 * The schedule lock for instances that share a `PostgresSseBroker`: each
 * tick of each job is claimed in the namespace by `sse_claim_v1()`, which
 * tells concurrent claims apart with a transaction-level advisory lock
 * (`pg_try_advisory_xact_lock`: the loser does not wait) and remembers the
 * claim in `sse_claims` until its ttl (an advisory lock alone ends with its
 * transaction), so exactly one instance of the namespace runs it. While
 * PostgreSQL is unreachable the claim rejects with
 * `PostgresSseUnavailableError` and the scheduler skips the tick (a tick
 * may be lost, never doubled).
 *
 * ```ts
 * const broker = new PostgresSseBroker({ url, namespace: 'chat' });
 * SseModule.forRoot({ broker, scheduleLock: new PostgresSseScheduleLock(broker) })
 * ```
 */
export class PostgresSseScheduleLock implements SseScheduleLock {
  constructor(private readonly broker: PostgresSseBroker) {
    if (typeof (broker as Partial<PostgresSseBroker> | null)?.claim !== 'function') {
      throw new TypeError(POSTGRES_SSE_MESSAGES.lockNeedsBroker(broker));
    }
  }

  /** Resolves to whether this instance took tick `tickKey` of `jobName` (for `ttlMs`). */
  async acquire(jobName: string, tickKey: string, ttlMs: number): Promise<boolean> {
    const name = typeof jobName === 'string' && typeof tickKey === 'string' ? `${jobName}:${tickKey}` : undefined;
    if (name === undefined || name.length > 512 || CONTROL_CHARACTERS.test(name)) {
      throw new TypeError(POSTGRES_SSE_MESSAGES.invalidLockName(name ?? jobName));
    }
    if (!Number.isSafeInteger(ttlMs) || ttlMs < 1) throw new TypeError(POSTGRES_SSE_MESSAGES.invalidLockTtl(ttlMs));
    return this.broker.claim(name, ttlMs);
  }
}
