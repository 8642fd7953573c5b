import { Logger } from '@nestjs/common';
import type { SseBrokerMessage, SseBrokerPosition } from 'nestjs-event-stream/broker';
import { PostgresSseInbound } from '../../lib/brokers/postgres/postgres-sse-inbound.js';
import { CaptureLogger } from '../utils/capture-logger.js';

/**
 * The order, the overflow and the waits of what the LISTEN connection
 * receives (`PostgresSseInbound`), fed the notifications PostgreSQL would
 * send: pure logic, no server (the broker suites run it against one).
 */
describe('PostgresSseInbound', () => {
  const epoch = 'e1';
  const event = (seq: number, channel = 'a', payload = `p${seq}`) => `c\n${epoch}\n${seq}\n${channel}\n\n${payload}`;
  const marker = (seq: number) => `k\n${epoch}\n${seq}`;
  const sent = (message: object) => `m\n${JSON.stringify(message)}`;

  function setup(limits?: { maxItems?: number; maxBytes?: number; controlAllowance?: number }) {
    const logs = new CaptureLogger();
    const logger = new Logger('PostgresSseInbound');
    Logger.overrideLogger(logs);
    const delivered: SseBrokerMessage[] = [];
    let syncs = 0;
    const inbound = new PostgresSseInbound(
      {
        deliver: (message) => delivered.push(message),
        synced: () => void syncs++,
        readSpill: () => Promise.resolve(new Map()),
      },
      logger,
      limits,
    );
    inbound.subscribe('a');
    const push = (payload: string, isMarker = false) => inbound.push(payload, isMarker, 'sse_x');
    return { inbound, delivered, logs, push, syncs: () => syncs };
  }

  const timedOut = () => new Error('timed out');

  it('resolves a head() whose marker was lost with the connection once the reconnection has delivered its gap', async () => {
    const { inbound, delivered } = setup();
    inbound.beginSync();
    inbound.completeSync({ epoch, seq: 1 });
    // head() read seq 3 and NOTIFYd its marker to a connection that dropped before it arrived.
    const waiting = inbound.waitFor({ epoch, seq: 3 }, 2000, timedOut);
    inbound.beginSync();
    inbound.completeSync({ epoch, seq: 3 });
    await expect(waiting).resolves.toBeUndefined();
    expect(delivered).toEqual([{ type: 'gap', after: { epoch, seq: 1 } }]);
    expect(inbound.received).toEqual({ epoch, seq: 3 });
  });

  describe('when more waits than it holds', () => {
    function heldBack(limits: { maxItems?: number; maxBytes?: number; controlAllowance?: number }) {
      const parts = setup(limits);
      // Listening, the head not read yet: everything behind the sync waits (the sync counts as one item).
      parts.inbound.beginSync();
      return parts;
    }

    it('turns the channel events past its bound into one gap, then delivers on in order', () => {
      const { inbound, delivered, push } = heldBack({ maxItems: 3 });
      for (let seq = 1; seq <= 6; seq++) push(event(seq));
      inbound.completeSync({ epoch, seq: 0 });
      push(event(7));
      expect(delivered.map((m) => (m.type === 'channel' ? m.seq : m.type))).toEqual([1, 2, 'gap', 7]);
      expect(delivered[2]).toEqual({ type: 'gap', after: { epoch, seq: 2 } });
      expect(inbound.received).toEqual({ epoch, seq: 7 });
    });

    it('bounds what it holds in bytes too', () => {
      const { inbound, delivered, push } = heldBack({ maxItems: 100, maxBytes: 3000 });
      for (let seq = 1; seq <= 5; seq++) push(event(seq, 'a', 'x'.repeat(1000)));
      inbound.completeSync({ epoch, seq: 0 });
      expect(delivered.map((m) => (m.type === 'channel' ? m.seq : m.type))).toEqual([1, 2, 'gap']);
    });

    it('never drops a revoke or a disconnect within its allowance, and warns once about the broadcast it dropped', () => {
      const { inbound, delivered, push, logs } = heldBack({ maxItems: 3, controlAllowance: 2 });
      push(event(1));
      push(event(2));
      push(sent({ type: 'broadcast', payload: 'lost' }));
      push(sent({ type: 'revoke', target: 'session', id: 's1' }));
      push(sent({ type: 'disconnect', connectionId: 'c1' }));
      inbound.completeSync({ epoch, seq: 0 });
      expect(delivered).toEqual([
        expect.objectContaining({ type: 'channel', seq: 1 }),
        expect.objectContaining({ type: 'channel', seq: 2 }),
        { type: 'revoke', target: 'session', id: 's1' },
        { type: 'disconnect', connectionId: 'c1' },
      ]);
      expect(logs.messages('warn', 'dropped')).toHaveLength(1);
    });

    it('still resolves a head() whose marker came past its bound: at the gap that covers it', async () => {
      const { inbound, delivered, push } = heldBack({ maxItems: 3 });
      push(event(1));
      push(event(2));
      push(event(3));
      push(marker(3), true);
      const waiting = inbound.waitFor({ epoch, seq: 3 }, 2000, timedOut);
      inbound.completeSync({ epoch, seq: 0 });
      await expect(waiting).resolves.toBeUndefined();
      expect(delivered.at(-1)).toEqual({ type: 'gap', after: { epoch, seq: 2 } });
    });

    it('resolves a head() whose marker came past its bound behind no dropped event, without a gap', async () => {
      const { inbound, delivered, push } = heldBack({ maxItems: 3 });
      push(event(1));
      push(event(2, 'b'));
      push(event(3, 'b'));
      push(marker(3), true);
      const waiting = inbound.waitFor({ epoch, seq: 3 }, 2000, timedOut);
      inbound.completeSync({ epoch, seq: 0 });
      await expect(waiting).resolves.toBeUndefined();
      expect(delivered.map((m) => m.type)).toEqual(['channel']);
      expect(inbound.received).toEqual({ epoch, seq: 3 } satisfies SseBrokerPosition);
    });
  });
});
