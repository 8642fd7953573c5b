import type { Logger } from '@nestjs/common';
import { BrokerLinkHealth } from '../shared/broker-link-health.js';
import { NATS_SSE_MESSAGES } from './nats-sse.messages.js';

/**
 * Whether the broker's link to NATS is down, and why (see
 * `BrokerLinkHealth`): one warning `No connection to NATS` when the link is
 * lost and one `Reconnected to NATS` when it is back, whatever happens in
 * between; `down` until the link has been set up once and during an outage
 * (and for good once the connection `end()`ed), `resyncing` from when the
 * connection is back (`reconnected()`) until the broker's consumer runs
 * again and its `gap` was delivered, `up` otherwise.
 */
export class NatsSseLinkHealth extends BrokerLinkHealth {
  constructor(
    /** host:port of the server, for messages (never a password). */
    target: () => string,
    logger: Logger,
  ) {
    super({
      target,
      logger,
      messages: NATS_SSE_MESSAGES,
      lostLevel: 'warn',
      lostReason: NATS_SSE_MESSAGES.connectionLost,
    });
  }
}
