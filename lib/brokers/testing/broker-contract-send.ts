import type { SseBrokerMessage, SseBrokerSentMessage } from '../sse-broker.interface.js';
import { jestGlobals, type ConnectedBroker } from './contract-kit.js';

/**
 * The part of the broker contract about `send()`: the messages that are not
 * stored reach every instance, this one included, as they were sent, once
 * each. Declared by `describeBrokerContract()`, on its brokers.
 */
export function describeSendContract(connected: ConnectedBroker): void {
  const { describe, it, expect } = jestGlobals();

  describe('send', () => {
    it('delivers broadcast, connection, user, disconnect and revoke messages as they are, once each', async () => {
      const { broker, inbox } = await connected();
      const sent: SseBrokerSentMessage[] = [
        { type: 'broadcast', payload: 'data: all\n\n', except: 'c-1' },
        { type: 'broadcast', payload: 'data: all, no exception\n\n' },
        { type: 'connection', connectionId: 'c-2', payload: 'data: one\n\n' },
        { type: 'user', userId: '42', payload: 'data: tabs\n\n', except: 'c-3' },
        { type: 'disconnect', connectionId: 'c-4' },
        { type: 'revoke', target: 'user', id: '42' },
        { type: 'revoke', target: 'session', id: 's-7' },
      ];
      for (const message of sent) await broker.send(message);
      await inbox.until(() => inbox.messages.length >= sent.length, `${sent.length} messages`);
      // Settle: a last message sent after them arrives after any duplicate would have.
      await broker.send({ type: 'connection', connectionId: 'marker', payload: 'marker' });
      const isMarker = (m: SseBrokerMessage) => m.type === 'connection' && m.connectionId === 'marker';
      await inbox.until(() => inbox.messages.some(isMarker), 'the marker');
      const received = inbox.messages.filter((m) => !isMarker(m));
      expect(received).toHaveLength(sent.length);
      for (const message of sent) expect(received).toContainEqual(message);
    });
  });
}
