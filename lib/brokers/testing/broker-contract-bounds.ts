import type { SseBroker, SseBrokerPosition } from '../sse-broker.interface.js';
import { errorOf, jestGlobals, positionOf, type ConnectedBroker } from './contract-kit.js';

/** Publishes `count` payloads of `bytes` bytes each to `channel`; resolves to their positions. */
async function publishSized(
  broker: SseBroker,
  channel: string,
  count: number,
  bytes: number,
): Promise<SseBrokerPosition[]> {
  const positions: SseBrokerPosition[] = [];
  for (let i = 0; i < count; i++) positions.push(await broker.publish(channel, `${i}:`.padEnd(bytes, '.')));
  return positions;
}

/** The position just before `position`: a client that has seen nothing of it. */
const before = (position: SseBrokerPosition): SseBrokerPosition => ({ epoch: position.epoch, seq: position.seq - 1 });

/**
 * The parts of the broker contract about what history keeps (the channel
 * cap and the byte budgets: a resume past anything let go of says
 * `expired`) and about idempotent publishing. Declared by
 * `describeBrokerContract()`, on its brokers.
 */
export function describeBoundsContract(connected: ConnectedBroker): void {
  const { describe, it, expect } = jestGlobals();

  describe('history bounds', () => {
    it("keeps at most maxChannels histories, dropping the one published to least recently, and says 'expired' for a resume past it, also once the channel has events again", async () => {
      const { broker } = await connected({ maxChannels: 2 });
      const seen = await broker.publish('a', '1');
      await broker.publish('a', '2');
      const b = await broker.publish('b', '3');
      const c = await broker.publish('c', '4');
      // Three channels, two kept: 'a' (published to least recently) is dropped with the event the client missed.
      expect(await broker.read(['a'], seen, 10)).toEqual({ events: [], more: false, reset: 'expired', head: c });
      // The others are kept. (A history made after a drop may say 'expired' for positions before it: it cannot tell.)
      const kept = await broker.read(['b'], seen, 10);
      expect(kept.events.map(positionOf)).toEqual([b]);
      expect(kept.reset).toBeUndefined();
      expect(await broker.read(['c'], b, 10)).toEqual({
        events: [{ channel: 'c', ...c, payload: '4' }],
        more: false,
        head: c,
      });
      const again = await broker.publish('a', '5');
      const resumed = await broker.read(['a'], seen, 10);
      expect(resumed.reset).toBe('expired');
      expect(resumed.events.map((e) => e.payload)).toEqual(['5']);
      // A client that had seen everything 'a' held when it was dropped missed nothing.
      const later = await broker.read(['a'], c, 10);
      expect(later.events.map(positionOf)).toEqual([again]);
      expect(later.reset).toBeUndefined();
    });

    it("keeps at most maxChannelBytes of a channel's payloads, its newest, and says 'expired' for a resume past what it dropped", async () => {
      const { broker } = await connected({ maxChannelBytes: 100 });
      const other = await broker.publish('other', 'x');
      const positions = await publishSized(broker, 'big', 10, 30);
      const page = await broker.read(['big'], other, 100);
      expect(page.reset).toBe('expired');
      const read = page.events.map(positionOf);
      expect(read.length).toBeGreaterThanOrEqual(1);
      expect(read.length).toBeLessThanOrEqual(3);
      expect(read).toEqual(positions.slice(positions.length - read.length));
      const fromKept = await broker.read(['big'], positions[positions.length - 2], 100);
      expect(fromKept.reset).toBeUndefined();
      expect(fromKept.events.map(positionOf)).toEqual(positions.slice(-1));
      // The other channel is untouched by this channel's budget.
      expect((await broker.read(['other'], before(other), 10)).events.map(positionOf)).toEqual([other]);
    });

    it('keeps the newest event of a channel even when it alone is larger than maxChannelBytes', async () => {
      const { broker } = await connected({ maxChannelBytes: 100 });
      await publishSized(broker, 'huge', 2, 30);
      const [huge] = await publishSized(broker, 'huge', 1, 500);
      const page = await broker.read(['huge'], before(huge), 10);
      expect(page.events.map((e) => e.payload.length)).toEqual([500]);
    });

    it("keeps the payloads of all channels within maxBytes, the newest, and says 'expired' for a resume past what it let go of", async () => {
      const { broker } = await connected({ maxBytes: 200 });
      const positions: SseBrokerPosition[] = [];
      for (let i = 0; i < 10; i++) positions.push(...(await publishSized(broker, `room:${i}`, 1, 50)));
      const channels = Array.from({ length: 10 }, (_, i) => `room:${i}`);
      const page = await broker.read(channels, before(positions[0]), 100);
      expect(page.reset).toBe('expired');
      const read = page.events.map(positionOf);
      expect(read.length).toBeGreaterThanOrEqual(1);
      expect(read.length).toBeLessThanOrEqual(4);
      expect(read).toEqual(positions.slice(positions.length - read.length));
      const fromKept = await broker.read(channels, positions[positions.length - 2], 100);
      expect(fromKept.reset).toBeUndefined();
      expect(fromKept.events.map(positionOf)).toEqual(positions.slice(-1));
    });
  });

  describe('idempotent publishing', () => {
    it('stores and delivers a publish with an idempotency key once: a retry with the same key resolves to the first position', async () => {
      const { broker, inbox } = await connected();
      await broker.subscribe('orders');
      const first = await broker.publish('orders', 'order 1', { idempotencyKey: 'order-1' });
      const retry = await broker.publish('orders', 'order 1', { idempotencyKey: 'order-1' });
      const second = await broker.publish('orders', 'order 2', { idempotencyKey: 'order-2' });
      const plain = [await broker.publish('orders', 'plain'), await broker.publish('orders', 'plain')];
      expect(retry).toEqual(first);
      expect(second.seq).toBeGreaterThan(first.seq);
      expect(plain[1].seq).toBeGreaterThan(plain[0].seq);
      const marker = await inbox.settle(broker, 'orders');
      const payloads = ['order 1', 'order 2', 'plain', 'plain', 'marker'];
      expect(inbox.channel('orders').map((m) => m.payload)).toEqual(payloads);
      const page = await broker.read(['orders'], before(first), 10);
      expect(page.events.map((e) => e.payload)).toEqual(payloads);
      expect(page.events[0].seq).toBe(first.seq);
      expect(page.head).toEqual(marker);
    });

    it('answers concurrent publishes with one key with one position, and stores the event once', async () => {
      const { broker } = await connected();
      const positions = await Promise.all(
        Array.from({ length: 10 }, () => broker.publish('burst', 'once', { idempotencyKey: 'k' })),
      );
      for (const position of positions) expect(position).toEqual(positions[0]);
      expect((await broker.read(['burst'], before(positions[0]), 10)).events.map(positionOf)).toEqual([positions[0]]);
    });

    it('scopes an idempotency key to its channel: the same key on another channel is another publish', async () => {
      const { broker } = await connected();
      const a = await broker.publish('a', 'x', { idempotencyKey: 'same' });
      const b = await broker.publish('b', 'x', { idempotencyKey: 'same' });
      expect(b.seq).toBeGreaterThan(a.seq);
      expect((await broker.read(['b'], a, 10)).events.map(positionOf)).toEqual([b]);
    });

    it('keeps except when publishing with an idempotency key', async () => {
      const { broker, inbox } = await connected();
      await broker.subscribe('room');
      const position = await broker.publish('room', 'hi', { except: 'c-1', idempotencyKey: 'k-1' });
      await inbox.until(() => inbox.channel('room').length === 1, 'the event');
      expect(inbox.channel('room')[0]).toEqual({
        type: 'channel',
        channel: 'room',
        ...position,
        payload: 'hi',
        except: 'c-1',
      });
    });

    it('refuses an idempotency key that is not 1 to 200 printable ASCII characters with a TypeError naming it, storing nothing', async () => {
      const { broker } = await connected();
      const head = await broker.publish('keys', 'valid', { idempotencyKey: ` ~${'k'.repeat(198)}` });
      for (const key of ['', 'k'.repeat(201), 'line\nbreak', 'tab\t', 'é', '\u0000', 42, null]) {
        const error = await errorOf(() => broker.publish('keys', 'bad', { idempotencyKey: key as string }));
        expect(error instanceof TypeError).toBe(true);
        expect((error as Error).message).toMatch(/idempotencyKey/);
      }
      expect(await broker.read(['keys'], head, 10)).toEqual({ events: [], more: false, head });
    });
  });
}
