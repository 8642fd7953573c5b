import type { SseBrokerMessage } from '../sse-broker.interface.js';
import { EPOCH, jestGlobals, positionOf, type ConnectedBroker } from './contract-kit.js';

/**
 * The part of the broker contract about `head()`, the position the hub
 * starts a stream without a `Last-Event-ID` at. Declared by
 * `describeBrokerContract()`, on its brokers.
 */
export function describeHeadContract(connected: ConnectedBroker): void {
  const { describe, it, expect } = jestGlobals();

  describe('head', () => {
    it('is seq 0 while the namespace has had no event, of the epoch its first publish then gets', async () => {
      const { broker } = await connected();
      const empty = await broker.head();
      expect(empty.seq).toBe(0);
      expect(empty.epoch).toMatch(EPOCH);
      expect(await broker.head()).toEqual(empty);
      const first = await broker.publish('a', '1');
      expect(first.epoch).toBe(empty.epoch);
      expect(first.seq).toBeGreaterThan(0);
    });

    it('is the position of the last event published, whatever its channel', async () => {
      const { broker } = await connected();
      let last = await broker.publish('a', '1');
      for (const channel of ['b', 'a', 'c:1']) last = await broker.publish(channel, channel);
      expect(await broker.head()).toEqual(last);
      expect(await broker.head()).toEqual(last);
    });

    it('resolves only once every event up to it of the subscribed channels has been delivered', async () => {
      const { broker, inbox } = await connected();
      await broker.subscribe('a');
      await broker.subscribe('b');
      // head() while the publishes are still under way: whatever it covers must have been delivered when it resolves.
      const publishing = Promise.all(Array.from({ length: 20 }, (_, i) => broker.publish(i % 2 ? 'a' : 'b', `${i}`)));
      const head = await broker.head();
      // Read at once, without waiting: what arrives after head() must be newer than it.
      const delivered = inbox.messages
        .filter((m): m is Extract<SseBrokerMessage, { type: 'channel' }> => m.type === 'channel')
        .map((m) => m.seq);
      const published = await publishing;
      const covered = published.filter((p) => p.epoch === head.epoch && p.seq <= head.seq).map((p) => p.seq);
      expect(delivered.filter((seq) => seq <= head.seq).sort((x, y) => x - y)).toEqual(covered.sort((x, y) => x - y));
      // And once they are all published, head() covers them all.
      const after = await broker.head();
      expect(after.seq).toBeGreaterThanOrEqual(Math.max(...published.map((p) => p.seq)));
    });

    it('is a position to read from: the events published after it follow, without a reset, also from an empty namespace', async () => {
      const { broker } = await connected();
      const empty = await broker.head();
      const a = await broker.publish('a', '1');
      const b = await broker.publish('b', '2');
      const first = await broker.read(['a', 'b'], empty, 10);
      expect(first.reset).toBeUndefined();
      expect(first.events.map(positionOf)).toEqual([a, b]);
      const head = await broker.head();
      expect(await broker.read(['a', 'b'], head, 10)).toEqual({ events: [], more: false, head: b });
      const c = await broker.publish('a', '3');
      const next = await broker.read(['a', 'b'], head, 10);
      expect(next.reset).toBeUndefined();
      expect(next.events.map(positionOf)).toEqual([c]);
    });
  });
}
