import type { SseBroker, SseBrokerMessage, SseBrokerPosition } from '../sse-broker.interface.js';
import { describeBoundsContract } from './broker-contract-bounds.js';
import { describeHeadContract } from './broker-contract-head.js';
import { describeSendContract } from './broker-contract-send.js';
import { describeStatusContract } from './broker-contract-status.js';
import {
  EPOCH,
  Inbox,
  jestGlobals,
  positionOf,
  readAll,
  type BrokerContractFactory,
  type BrokerContractOptions,
} from './contract-kit.js';

export type { BrokerContractFactory, BrokerContractOptions } from './contract-kit.js';

type ChannelMessage = Extract<SseBrokerMessage, { type: 'channel' }>;

/**
 * The behaviour the hub relies on from an `SseBroker`, run against a real
 * broker. Every implementation must pass it; call it from a Jest test file:
 *
 * ```ts
 * import { describeBrokerContract } from 'nestjs-event-stream/broker';
 *
 * describeBrokerContract('MySseBroker', (options) => new MySseBroker({ history: options }));
 * ```
 *
 * It assumes nothing about one implementation: positions are checked for
 * their shape and order only, delivery may be asynchronous, a broker may or
 * may not deliver channels that no one subscribed to (the hub filters), and
 * history may keep more than `maxEvents` (approximate trimming) as long as an
 * expired position is reported.
 */
export function describeBrokerContract(name: string, factory: BrokerContractFactory): void {
  const { describe, it, expect, afterEach } = jestGlobals();
  describe(`SseBroker contract: ${name}`, () => {
    const open: { broker: SseBroker; inbox: Inbox }[] = [];

    /** A connected broker and what it delivers to this instance. */
    async function connected(options?: BrokerContractOptions): Promise<{ broker: SseBroker; inbox: Inbox }> {
      const broker = await factory(options);
      const inbox = new Inbox(broker);
      open.push({ broker, inbox });
      await broker.connect();
      return { broker, inbox };
    }

    afterEach(async () => {
      await Promise.all(open.splice(0).map(({ broker }) => broker.close()));
    });

    describe('publish', () => {
      it('assigns positions of one epoch of [a-z0-9]{1,16}, with seqs increasing across channels, and resolves to them', async () => {
        const { broker } = await connected();
        const positions: SseBrokerPosition[] = [];
        for (const channel of ['a', 'b', 'a', 'c:1', 'b']) positions.push(await broker.publish(channel, channel));
        for (const [i, position] of positions.entries()) {
          expect(position.epoch).toMatch(EPOCH);
          expect(position.epoch).toBe(positions[0].epoch);
          expect(Number.isSafeInteger(position.seq) && position.seq >= 1).toBe(true);
          if (i > 0) expect(position.seq).toBeGreaterThan(positions[i - 1].seq);
        }
      });

      it('gives concurrent publishes distinct positions', async () => {
        const { broker } = await connected();
        const positions = await Promise.all(Array.from({ length: 50 }, (_, i) => broker.publish(`ch${i % 3}`, `${i}`)));
        expect(new Set(positions.map((p) => `${p.epoch}.${p.seq}`)).size).toBe(50);
      });

      it('delivers a subscribed channel event as a channel message with its position, payload and except', async () => {
        const { broker, inbox } = await connected();
        await broker.subscribe('room:1');
        const position = await broker.publish('room:1', 'event: message\ndata: {"n":1}\n\n', {
          except: 'connection-7',
        });
        await inbox.until(() => inbox.channel('room:1').length === 1, 'the event');
        expect(inbox.channel('room:1')[0]).toEqual({
          type: 'channel',
          channel: 'room:1',
          epoch: position.epoch,
          seq: position.seq,
          payload: 'event: message\ndata: {"n":1}\n\n',
          except: 'connection-7',
        });
      });

      it('moves payloads as given, delivered and stored: empty, multi-line, unicode, large, SSE-like', async () => {
        const { broker, inbox } = await connected();
        await broker.subscribe('opaque');
        const payloads = [
          '',
          'no line break',
          'id: forged\ndata: x\n\n',
          'a\nb\r\nc\rd',
          'é ✓ 😀 \u2028',
          '{"json":[1,2]}',
          'x'.repeat(64 * 1024),
        ];
        const first = await broker.publish('opaque', payloads[0]);
        for (const payload of payloads.slice(1)) await broker.publish('opaque', payload);
        await inbox.until(() => inbox.channel('opaque').length === payloads.length, 'every payload');
        expect(inbox.channel('opaque').map((m) => m.payload)).toEqual(payloads);
        const page = await broker.read(['opaque'], { epoch: first.epoch, seq: first.seq - 1 }, 100);
        expect(page.events.map((e) => e.payload)).toEqual(payloads);
      });

      it('delivers every event of a subscribed channel exactly once, in publish order', async () => {
        const { broker, inbox } = await connected();
        await broker.subscribe('a');
        await broker.subscribe('b');
        const published: SseBrokerPosition[] = [];
        for (let i = 0; i < 30; i++) published.push(await broker.publish(i % 2 ? 'a' : 'b', `${i}`));
        const markers = [await inbox.settle(broker, 'a'), await inbox.settle(broker, 'b')];
        const delivered = (channel: string) =>
          inbox
            .channel(channel)
            .filter((m) => !markers.some((marker) => marker.seq === m.seq))
            .map(positionOf);
        expect(delivered('a')).toEqual(published.filter((_, i) => i % 2));
        expect(delivered('b')).toEqual(published.filter((_, i) => !(i % 2)));
      });

      it('delivers concurrent publishes of a channel in seq order', async () => {
        const { broker, inbox } = await connected();
        await broker.subscribe('burst');
        const positions = await Promise.all(Array.from({ length: 40 }, (_, i) => broker.publish('burst', `${i}`)));
        await inbox.until(() => inbox.channel('burst').length >= 40, '40 events');
        const seqs = inbox.channel('burst').map((m) => m.seq);
        expect(seqs).toEqual([...seqs].sort((x, y) => x - y));
        expect(new Set(seqs)).toEqual(new Set(positions.map((p) => p.seq)));
      });

      it('delivers a channel subscribed to later from then on', async () => {
        const { broker, inbox } = await connected();
        await broker.subscribe('first');
        await broker.publish('first', '1');
        await broker.subscribe('second');
        const { seq } = await broker.publish('second', '2');
        await inbox.until(() => inbox.channel('second').some((m) => m.seq === seq), 'the event of the later channel');
      });

      it('still delivers the other subscribed channels after one is unsubscribed', async () => {
        const { broker, inbox } = await connected();
        await broker.subscribe('stay');
        await broker.subscribe('go');
        await broker.unsubscribe('go');
        const { seq } = await broker.publish('stay', 'x');
        await inbox.until(() => inbox.channel('stay').some((m) => m.seq === seq), 'the event');
      });
    });

    describe('read', () => {
      async function publishInterleaved(
        broker: SseBroker,
        count: number,
        channels = ['a', 'b', 'c'],
      ): Promise<(SseBrokerPosition & { channel: string })[]> {
        const events: (SseBrokerPosition & { channel: string })[] = [];
        for (let i = 0; i < count; i++) {
          const channel = channels[i % channels.length];
          events.push({ channel, ...(await broker.publish(channel, `${i}`)) });
        }
        return events;
      }

      it('returns the events after a position, of every channel asked for, in seq order, with the payloads delivered', async () => {
        const { broker, inbox } = await connected();
        await broker.subscribe('a');
        await broker.subscribe('b');
        const events = await publishInterleaved(broker, 12);
        const page = await broker.read(['a', 'b'], positionOf(events[3]), 100);
        const expected = events.slice(4).filter((e) => e.channel !== 'c');
        expect(page.reset).toBeUndefined();
        expect(page.more).toBe(false);
        expect(page.events.map((e) => ({ channel: e.channel, epoch: e.epoch, seq: e.seq }))).toEqual(expected);
        await inbox.until(() => inbox.channel('a').length + inbox.channel('b').length === 8, 'the events');
        const delivered = new Map(
          inbox.messages.map((m) => [(m as ChannelMessage).seq, (m as ChannelMessage).payload]),
        );
        for (const event of page.events) expect(event.payload).toBe(delivered.get(event.seq));
        expect(page.head).toEqual(positionOf(events[events.length - 1]));
      });

      it('returns at most `limit` events, the oldest first, and says more may follow', async () => {
        const { broker } = await connected();
        const events = await publishInterleaved(broker, 12);
        const page = await broker.read(['a', 'b', 'c'], { ...positionOf(events[0]), seq: events[0].seq - 1 }, 5);
        expect(page.events.map(positionOf)).toEqual(events.slice(0, 5).map(positionOf));
        expect(page.more).toBe(true);
        expect(page.reset).toBeUndefined();
      });

      it('says no more follow when the limit covers every event left', async () => {
        const { broker } = await connected();
        const events = await publishInterleaved(broker, 6);
        const page = await broker.read(['a', 'b', 'c'], positionOf(events[0]), 5);
        expect(page.events.map(positionOf)).toEqual(events.slice(1).map(positionOf));
        expect(page.more).toBe(false);
      });

      it('continues from the last position returned without a gap or a duplicate, across several channels', async () => {
        const { broker } = await connected();
        const events = await publishInterleaved(broker, 60, ['a', 'b', 'c', 'a', 'elsewhere']);
        const start = positionOf(events[2]);
        for (const limit of [1, 4, 7, 59]) {
          const { events: read, pages } = await readAll(broker, ['a', 'b', 'c'], start, limit);
          for (const page of pages) {
            expect(page.events.length).toBeLessThanOrEqual(limit);
            expect(page.reset).toBeUndefined();
          }
          const expected = events.slice(3).filter((e) => e.channel !== 'elsewhere');
          expect(read.map((e) => ({ channel: e.channel, epoch: e.epoch, seq: e.seq }))).toEqual(expected);
        }
      });

      it('returns nothing, no reset and no more from the newest position', async () => {
        const { broker } = await connected();
        const events = await publishInterleaved(broker, 6);
        const head = positionOf(events[events.length - 1]);
        const page = await broker.read(['a', 'b', 'c'], head, 10);
        expect(page).toEqual({ events: [], more: false, head });
      });

      it('reports the newest position of the namespace as head, whatever the channels read', async () => {
        const { broker } = await connected();
        const a = await broker.publish('a', '1');
        const b = await broker.publish('b', '2');
        const page = await broker.read(['a'], a, 10);
        expect(page.events).toEqual([]);
        expect(page.head).toEqual(b);
      });

      it("says 'unknown', with no head, for any position while the namespace has had no event", async () => {
        const { broker } = await connected();
        const page = await broker.read(['a'], { epoch: 'zz', seq: 0 }, 10);
        expect(page.reset).toBe('unknown');
        expect(page.events).toEqual([]);
        expect(page.head).toBeUndefined();
      });

      it('returns nothing and no reset for a channel that has had no events', async () => {
        const { broker } = await connected();
        const events = await publishInterleaved(broker, 3);
        const page = await broker.read(['never-published'], positionOf(events[0]), 10);
        expect(page.events).toEqual([]);
        expect(page.more).toBe(false);
        expect(page.reset).toBeUndefined();
      });

      it('returns the events of a channel published to after the position only', async () => {
        const { broker } = await connected();
        const first = await broker.publish('x', '1');
        const second = await broker.publish('y', '2');
        const page = await broker.read(['y'], first, 10);
        expect(page.events.map(positionOf)).toEqual([second]);
        expect(page.reset).toBeUndefined();
      });

      it("says 'expired' when events after the position are no longer kept, and returns the newest it kept", async () => {
        const { broker } = await connected({ maxEvents: 3 });
        const positions: SseBrokerPosition[] = [];
        for (let i = 0; i < 8; i++) positions.push(await broker.publish('a', `${i}`));
        const page = await broker.read(['a'], positions[0], 100);
        expect(page.reset).toBe('expired');
        const read = page.events.map(positionOf);
        // What is kept is a suffix of what was published (trimming may be approximate).
        expect(read.length).toBeGreaterThanOrEqual(3);
        expect(read.length).toBeLessThan(7);
        expect(read).toEqual(positions.slice(positions.length - read.length));
        expect(page.head).toEqual(positions[positions.length - 1]);
      });

      it('resumes without a reset from a position whose following events are all kept', async () => {
        const { broker } = await connected({ maxEvents: 3 });
        const positions: SseBrokerPosition[] = [];
        for (let i = 0; i < 8; i++) positions.push(await broker.publish('a', `${i}`));
        const page = await broker.read(['a'], positions[5], 100);
        expect(page.reset).toBeUndefined();
        expect(page.events.map(positionOf)).toEqual(positions.slice(6));
      });

      it("says 'unknown' for a position of another epoch", async () => {
        const { broker } = await connected();
        const position = await broker.publish('a', '1');
        const { epoch, seq } = position;
        const other = epoch.length < 16 ? `${epoch}0` : `${epoch.slice(0, 15)}${epoch.endsWith('0') ? '1' : '0'}`;
        const page = await broker.read(['a'], { epoch: other, seq }, 10);
        expect(page.reset).toBe('unknown');
        expect(page.events).toEqual([]);
        expect(page.head).toEqual(position);
      });

      it("says 'unknown' for a position ahead of the newest event", async () => {
        const { broker } = await connected();
        const position = await broker.publish('a', '1');
        const page = await broker.read(['a'], { epoch: position.epoch, seq: position.seq + 1000 }, 10);
        expect(page.reset).toBe('unknown');
        expect(page.events).toEqual([]);
        expect(page.head).toEqual(position);
      });
    });

    describeBoundsContract(connected);
    describeHeadContract(connected);

    describeSendContract(connected);
    describeStatusContract(connected);

    describe('close', () => {
      it('resolves after use, releasing what it holds (Jest exits without --forceExit), and completes messages$', async () => {
        const { broker, inbox } = await connected();
        await broker.subscribe('a');
        await broker.publish('a', 'before');
        await inbox.until(() => inbox.channel('a').length === 1, 'the event');
        open.splice(
          open.findIndex((entry) => entry.broker === broker),
          1,
        );
        expect(await broker.close()).toBeUndefined();
        expect(inbox.completed).toBe(true);
      });

      it('resolves when the broker was never connected, and completes messages$', async () => {
        const broker = await factory();
        const inbox = new Inbox(broker);
        expect(await broker.close()).toBeUndefined();
        expect(inbox.completed).toBe(true);
        inbox.stop();
      });
    });
  });
}
