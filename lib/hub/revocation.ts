import type { SseBrokerSentMessage } from '../brokers/sse-broker.interface.js';
import { isRevocationId } from '../brokers/revocation-id.js';
import { SSE_MESSAGES } from '../sse.messages.js';
import type { SseRevocation } from './sse-hub.interface.js';

/** The broker message of a revocation, checked: one id (1 to 1024 characters) of a user or a session. */
export function revocationOf(target: SseRevocation): Extract<SseBrokerSentMessage, { type: 'revoke' }> {
  const { userId, sessionId } = (target ?? {}) as { userId?: unknown; sessionId?: unknown };
  const given = [userId, sessionId].filter((id) => id !== undefined);
  const id = given[0];
  if (given.length !== 1 || (typeof id !== 'string' && typeof id !== 'number') || !isRevocationId(String(id))) {
    throw new TypeError(SSE_MESSAGES.invalidRevocation(target));
  }
  return { type: 'revoke', target: userId !== undefined ? 'user' : 'session', id: String(id) };
}
