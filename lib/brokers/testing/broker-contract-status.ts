import { jestGlobals, type ConnectedBroker } from './contract-kit.js';

/**
 * The part of the broker contract about the optional `status()`: a broker
 * that has it says `up` once connected and answering, in the shape health
 * checks read. Skipped by a broker without it (it counts as always `up`).
 * Declared by `describeBrokerContract()`, on its brokers.
 */
export function describeStatusContract(connected: ConnectedBroker): void {
  const { describe, it, expect } = jestGlobals();

  describe('status', () => {
    it('says up once connected and answering, if implemented, with a since no later than now and a string detail if any', async () => {
      const { broker } = await connected();
      if (typeof broker.status !== 'function') return;
      await broker.publish('status', 'answered');
      const status = broker.status();
      expect(status.state).toBe('up');
      if (status.since !== undefined) {
        expect(Number.isFinite(status.since)).toBe(true);
        expect(status.since).toBeLessThanOrEqual(Date.now());
      }
      if (status.detail !== undefined) expect(typeof status.detail).toBe('string');
      // Cheap and synchronous: a value, not a promise.
      expect(typeof (broker.status() as unknown as { then?: unknown }).then).toBe('undefined');
    });
  });
}
