import type { Logger } from '@nestjs/common';
import { BrokerLinkHealth } from '../shared/broker-link-health.js';
import { POSTGRES_SSE_MESSAGES } from './postgres-sse.messages.js';

/**
 * Whether the broker's link to PostgreSQL is down, and why (see
 * `BrokerLinkHealth`): `down` until the LISTEN connection has been set up
 * once and during an outage (`refusing` meanwhile: commands are refused at
 * once), `resyncing` from when it is connected again until its `gap` has been
 * delivered, `up` otherwise. PostgreSQL that is connected but does not answer
 * (a command timed out) is `down` too, until it answers again. Logs one
 * warning `No connection to PostgreSQL` per outage and `Reconnected to
 * PostgreSQL` when it is over.
 */
export class PostgresSseLinkHealth extends BrokerLinkHealth {
  constructor(
    /** host:port/database of PostgreSQL, for messages. */
    target: string,
    logger: Logger,
  ) {
    super({ target: () => target, logger, messages: POSTGRES_SSE_MESSAGES, lostLevel: 'warn' });
  }
}
