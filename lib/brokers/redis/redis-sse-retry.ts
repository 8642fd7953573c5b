import { BrokerBackoff } from '../shared/broker-backoff.js';

/** The first retry's delay; each next one doubles, up to `MAX_DELAY_MS`. */
const FIRST_DELAY_MS = 100;
const MAX_DELAY_MS = 2000;

/**
 * One retried task with backoff (100 ms, doubling up to 2 s): at most one
 * timer pending, cancelled when what it retries no longer applies (the
 * connection dropped, the broker closed). See `BrokerBackoff`.
 */
export class RedisSseRetry extends BrokerBackoff {
  constructor() {
    super({ firstMs: FIRST_DELAY_MS, maxMs: MAX_DELAY_MS });
  }
}
