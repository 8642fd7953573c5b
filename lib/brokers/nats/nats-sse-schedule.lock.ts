import type { SseScheduleLock } from '../../schedule/sse-schedule-lock.interface.js';
import { apiErrorCode, JS_ERRORS } from './nats-sse.codec.js';
import type { NatsSseJetStream } from './nats-sse-jetstream.js';
import { NATS_SSE_MESSAGES } from './nats-sse.messages.js';
import { NatsSseNames } from './nats-sse.names.js';
import type { NatsSseBroker } from './nats-sse.broker.js';

// eslint-disable-next-line no-control-regex
const CONTROL_CHARACTERS = /[\u0000-\u001f\u007f]/;
/** The bucket's TTL at first: claims are kept at least this long, whatever their ttl. */
const MIN_BUCKET_TTL_MS = 60_000;
const NANOS_PER_MS = 1_000_000;
const encoder = new TextEncoder();

/**
 * Whether a claim failed because the bucket's stream is not there: no stream
 * took the publish (no responders: a 503), or JetStream says it has no such
 * stream. Pure.
 */
export function bucketMissing(error: unknown): boolean {
  const code = (error as { code?: unknown } | null)?.code;
  return code === '503' || apiErrorCode(error) === JS_ERRORS.streamNotFound;
}

/**
 * The schedule lock for instances that share a `NatsSseBroker`: each tick of
 * each job is claimed by creating a key (a hash of the job name and the tick
 * key) in the KV bucket `SSE_LOCKS_<namespace>`, as `kv.create()` does: a put
 * that JetStream refuses if the key has a value (its compare-and-set on the
 * key's last sequence), so exactly one instance of the namespace runs it. The bucket's
 * TTL removes old claims: it is at least the longest `ttlMs` asked for (the
 * lock raises it when a longer one comes), so a claim is never forgotten
 * before its time. While NATS is unreachable the claim rejects with
 * `NatsSseUnavailableError` and the scheduler skips the tick (a tick may be
 * lost, never doubled).
 *
 * ```ts
 * const broker = new NatsSseBroker({ servers: 'nats://nats:4222', namespace: 'shop' });
 * SseModule.forRoot({ broker, scheduleLock: new NatsSseScheduleLock(broker) })
 * ```
 */
export class NatsSseScheduleLock implements SseScheduleLock {
  private readonly names: NatsSseNames;
  /** The bucket's TTL, as last seen on the broker's JetStream. */
  private bucket: { api: NatsSseJetStream; ttlMs: number } | undefined;

  constructor(private readonly broker: NatsSseBroker) {
    const given = broker as Partial<NatsSseBroker> | null;
    if (typeof given?.withJetStream !== 'function' || typeof given.namespace !== 'string') {
      throw new TypeError(NATS_SSE_MESSAGES.lockNeedsBroker(broker));
    }
    this.names = new NatsSseNames(broker.namespace);
  }

  /** Resolves to whether this instance took tick `tickKey` of `jobName` (for `ttlMs`). */
  async acquire(jobName: string, tickKey: string, ttlMs: number): Promise<boolean> {
    const name = typeof jobName === 'string' && typeof tickKey === 'string' ? `${jobName}:${tickKey}` : undefined;
    if (name === undefined || name.length > 512 || CONTROL_CHARACTERS.test(name)) {
      throw new TypeError(NATS_SSE_MESSAGES.invalidLockName(name ?? jobName));
    }
    if (!Number.isSafeInteger(ttlMs) || ttlMs < 1) throw new TypeError(NATS_SSE_MESSAGES.invalidLockTtl(ttlMs));
    const subject = `$KV.${this.names.locksBucket}.${this.names.lockKey(jobName, tickKey)}`;
    const claim = encoder.encode(JSON.stringify({ instance: this.broker.instanceId, until: Date.now() + ttlMs }));
    return this.broker.withJetStream(`take the lock ${JSON.stringify(name)}`, async (api) => {
      await this.bucketFor(api, ttlMs);
      try {
        return await this.claim(api, subject, claim);
      } catch (error) {
        // The bucket is gone (deleted, or NATS restarted with an empty store): made again, and claimed once more.
        if (!bucketMissing(error)) throw error;
        this.bucket = undefined;
        await this.bucketFor(api, ttlMs);
        return this.claim(api, subject, claim);
      }
    });
  }

  /** What kv.create() does, in one request: a put that JetStream refuses if the key has a value. */
  private async claim(api: NatsSseJetStream, subject: string, claim: Uint8Array): Promise<boolean> {
    try {
      await api.publish(subject, claim, { expect: { lastSubjectSequence: 0 } });
      return true;
    } catch (error) {
      if (apiErrorCode(error) === JS_ERRORS.wrongLastSequence) return false;
      throw error;
    }
  }

  /** Makes the bucket if it is missing, and raises its TTL to at least `ttlMs`. */
  private async bucketFor(api: NatsSseJetStream, ttlMs: number): Promise<void> {
    if (this.bucket?.api === api && this.bucket.ttlMs >= ttlMs) return;
    const stream = `KV_${this.names.locksBucket}`;
    let info = await api.info(stream).catch((error: unknown) => {
      if (apiErrorCode(error) === JS_ERRORS.streamNotFound) return undefined;
      throw error;
    });
    if (!info) {
      await api.js.views.kv(this.names.locksBucket, { history: 1, ttl: Math.max(ttlMs, MIN_BUCKET_TTL_MS) });
      info = await api.info(stream);
    }
    let current = info.config.max_age / NANOS_PER_MS;
    if (current > 0 && current < ttlMs) {
      // Raised to the longer of the ttl and twice what it was: a few updates, whatever the ttls asked for.
      const raised = Math.max(ttlMs, 2 * current);
      await api.jsm.streams.update(stream, { ...info.config, max_age: raised * NANOS_PER_MS });
      current = raised;
    }
    this.bucket = { api, ttlMs: current > 0 ? current : Infinity };
  }
}
