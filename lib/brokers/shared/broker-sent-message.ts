import type { SseBrokerSentMessage } from '../sse-broker.interface.js';
import { isRevocationId } from '../revocation-id.js';

/** The longest `except` (a connection id) a channel event carries. */
const EXCEPT_MAX_LENGTH = 200;

/** Whether `value` can be the `except` of a channel event: a line of a wire format stays one line. Pure. */
export function isExcept(value: unknown): value is string {
  return typeof value === 'string' && value.length <= EXCEPT_MAX_LENGTH && !/[\r\n]/.test(value);
}

const isString = (value: unknown): value is string => typeof value === 'string';
const isOptionalString = (value: unknown): value is string | undefined => value === undefined || isString(value);

/**
 * The message `value` stands for, with its known fields only, if it is one
 * `send()` carries; checked before it is sent and when it arrives. Pure.
 *
 * @example
 * sentMessageOf({ type: 'broadcast', payload: 'x', extra: 1 }); // { type: 'broadcast', payload: 'x' }
 */
export function sentMessageOf(value: unknown): SseBrokerSentMessage | undefined {
  const m = value as Record<string, unknown> | null;
  if (typeof m !== 'object' || m === null) return undefined;
  switch (m.type) {
    case 'broadcast':
      if (!isString(m.payload) || !isOptionalString(m.except)) return undefined;
      return m.except === undefined
        ? { type: 'broadcast', payload: m.payload }
        : { type: 'broadcast', payload: m.payload, except: m.except };
    case 'connection':
      if (!isString(m.connectionId) || !isString(m.payload)) return undefined;
      return { type: 'connection', connectionId: m.connectionId, payload: m.payload };
    case 'user':
      if (!isString(m.userId) || !isString(m.payload) || !isOptionalString(m.except)) return undefined;
      return m.except === undefined
        ? { type: 'user', userId: m.userId, payload: m.payload }
        : { type: 'user', userId: m.userId, payload: m.payload, except: m.except };
    case 'disconnect':
      return isString(m.connectionId) ? { type: 'disconnect', connectionId: m.connectionId } : undefined;
    case 'revoke':
      return (m.target === 'user' || m.target === 'session') && isRevocationId(m.id)
        ? { type: 'revoke', target: m.target, id: m.id }
        : undefined;
    default:
      return undefined;
  }
}

/** The JSON text of a checked message `send()` carries, as every broker transmits it. Pure. */
export function encodeSentMessage(message: SseBrokerSentMessage): string {
  return JSON.stringify(message);
}

/** The message of a text of `encodeSentMessage()`, or `undefined` if it is not one. Pure. */
export function parseSentMessage(text: string): SseBrokerSentMessage | undefined {
  try {
    return sentMessageOf(JSON.parse(text));
  } catch {
    return undefined;
  }
}
