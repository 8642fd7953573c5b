import type { Logger } from '@nestjs/common';
import { BrokerLinkHealth } from '../shared/broker-link-health.js';
import type { RedisSseConnections } from './redis-sse-connections.js';
import { REDIS_SSE_MESSAGES } from './redis-sse.messages.js';

/**
 * Whether the broker's link to Redis is down, and why (see
 * `BrokerLinkHealth`): `down` until the link has been up once and during an
 * outage, `resyncing` from when both connections are ready again
 * (`connected()`) until the resubscription is done and its `gap` delivered
 * (`down` again while Redis refuses it or does not answer it:
 * `setupFailed()`, until a retry succeeds), `up` otherwise. A connected
 * Redis that does not answer (a command timed out) is `down` too, until it
 * answers again. Logs one error `No connection to Redis` per outage and
 * `Reconnected to Redis` when it is over.
 */
export class RedisSseLinkHealth extends BrokerLinkHealth {
  constructor(connections: Pick<RedisSseConnections, 'target'>, logger: Logger) {
    super({ target: () => connections.target(), logger, messages: REDIS_SSE_MESSAGES, lostLevel: 'error' });
  }
}
