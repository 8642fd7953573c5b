import { parseEventId, type SseHubAdapter, type SseHubMessage, type SseReplay } from '../../lib/index.js';

/** What a contract test may ask of the factory. Adapters that share state must give each call a fresh namespace. */
export interface HubAdapterContractOptions {
  /** Events kept per channel; the suite asks for a small number to test expiry. Default: the adapter's own. */
  maxEvents?: number;
}

export type HubAdapterFactory = (options?: HubAdapterContractOptions) => Promise<SseHubAdapter> | SseHubAdapter;

type ChannelMessage = Extract<SseHubMessage, { type: 'channel' }>;

/** Records what an adapter delivers and lets a test await it (delivery may be asynchronous). */
class Inbox {
  readonly messages: SseHubMessage[] = [];
  private readonly waiters = new Set<() => void>();

  readonly deliver = (message: SseHubMessage): void => {
    this.messages.push(message);
    for (const check of [...this.waiters]) check();
  };

  channel(name: string): ChannelMessage[] {
    return this.messages.filter((m): m is ChannelMessage => m.type === 'channel' && m.channel === name);
  }

  /** Resolves once `predicate` holds for what was delivered. */
  until(predicate: (messages: SseHubMessage[]) => boolean, what: string): Promise<void> {
    return new Promise((resolve, reject) => {
      const check = () => {
        if (!predicate(this.messages)) return;
        this.waiters.delete(check);
        clearTimeout(timer);
        resolve();
      };
      // A clear failure instead of the generic Jest timeout; never a fixed wait.
      const timer = setTimeout(() => {
        this.waiters.delete(check);
        reject(new Error(`adapter did not deliver ${what}; got ${JSON.stringify(this.messages.slice(-5))}`));
      }, 5000);
      timer.unref();
      this.waiters.add(check);
      check();
    });
  }

  /**
   * Delivery of one channel is ordered, so once a marker published after
   * `count` events has arrived, anything the adapter was going to deliver of
   * them has arrived too: the count is final.
   */
  async settle(adapter: SseHubAdapter, channel: string): Promise<void> {
    const marker = await adapter.publish(channel, 'data: marker\n\n');
    await this.until((messages) => messages.some((m) => m.type === 'channel' && m.id === marker), 'the marker');
  }
}

const body = (text: string) => `data: ${text}\n\n`;

/**
 * The behaviour `SseHub` relies on from an `SseHubAdapter`, run against a real
 * adapter. Every implementation must pass it:
 *
 * ```ts
 * describeHubAdapterContract('RedisSseAdapter', (options) => new RedisSseAdapter({ ...connection, history: options }), cleanup);
 * ```
 *
 * It assumes nothing about one implementation: ids are checked for their
 * shape and order only, delivery may be asynchronous, an adapter may or may
 * not deliver channels that no one subscribed to (the hub filters), and
 * history may keep more than `maxEvents` (approximate trimming) as long as an
 * expired position is reported.
 */
export function describeHubAdapterContract(
  name: string,
  makeAdapter: HubAdapterFactory,
  cleanup?: () => Promise<void>,
): void {
  describe(`SseHubAdapter contract: ${name}`, () => {
    const open: SseHubAdapter[] = [];

    /** A connected adapter and what it delivers to this instance. */
    async function connected(options?: HubAdapterContractOptions): Promise<{ adapter: SseHubAdapter; inbox: Inbox }> {
      const adapter = await makeAdapter(options);
      open.push(adapter);
      const inbox = new Inbox();
      await adapter.connect(inbox.deliver);
      return { adapter, inbox };
    }

    afterEach(async () => {
      await Promise.all(open.splice(0).map((adapter) => adapter.close()));
    });

    if (cleanup) afterAll(cleanup);

    describe('publish', () => {
      it('assigns ids <epoch>.<seq>, of [a-z0-9.], increasing across channels, and resolves to them', async () => {
        const { adapter } = await connected();
        const ids: string[] = [];
        for (const channel of ['a', 'b', 'a', 'c:1', 'b']) ids.push(await adapter.publish(channel, body(channel)));
        const positions = ids.map((id) => parseEventId(id));
        for (const [i, position] of positions.entries()) {
          expect(ids[i]).toMatch(/^[a-z0-9.]{3,33}$/);
          expect(position).toBeDefined();
          expect(position!.epoch).toBe(positions[0]!.epoch);
          if (i > 0) expect(position!.seq).toBeGreaterThan(positions[i - 1]!.seq);
        }
      });

      it('gives concurrent publishes distinct ids', async () => {
        const { adapter } = await connected();
        const ids = await Promise.all(
          Array.from({ length: 50 }, (_, i) => adapter.publish(`ch${i % 3}`, body(`${i}`))),
        );
        expect(new Set(ids).size).toBe(50);
      });

      it('delivers a subscribed channel event as a channel message with the id as the first line of its frame', async () => {
        const { adapter, inbox } = await connected();
        await adapter.subscribe('room:1');
        const id = await adapter.publish('room:1', 'event: message\ndata: {"n":1}\n\n', 'connection-7');
        await inbox.until(() => inbox.channel('room:1').length === 1, 'the event');
        const position = parseEventId(id)!;
        expect(inbox.channel('room:1')[0]).toEqual({
          type: 'channel',
          channel: 'room:1',
          seq: position.seq,
          id,
          frame: `id: ${id}\nevent: message\ndata: {"n":1}\n\n`,
          except: 'connection-7',
        });
      });

      it('delivers every event of a subscribed channel exactly once, in publish order', async () => {
        const { adapter, inbox } = await connected();
        await adapter.subscribe('a');
        await adapter.subscribe('b');
        const published: string[] = [];
        for (let i = 0; i < 30; i++) published.push(await adapter.publish(i % 2 ? 'a' : 'b', body(`${i}`)));
        await inbox.settle(adapter, 'a');
        await inbox.settle(adapter, 'b');
        const isMarker = (m: ChannelMessage) => m.frame.endsWith('data: marker\n\n');
        const delivered = (channel: string) =>
          inbox
            .channel(channel)
            .filter((m) => !isMarker(m))
            .map((m) => m.id);
        expect(delivered('a')).toEqual(published.filter((_, i) => i % 2));
        expect(delivered('b')).toEqual(published.filter((_, i) => !(i % 2)));
      });

      it('delivers concurrent publishes of a channel in the order of their ids', async () => {
        const { adapter, inbox } = await connected();
        await adapter.subscribe('burst');
        const ids = await Promise.all(Array.from({ length: 40 }, (_, i) => adapter.publish('burst', body(`${i}`))));
        await inbox.until(() => inbox.channel('burst').length >= 40, '40 events');
        const seqs = inbox.channel('burst').map((m) => m.seq);
        expect(seqs).toEqual([...seqs].sort((x, y) => x - y));
        expect(new Set(inbox.channel('burst').map((m) => m.id))).toEqual(new Set(ids));
      });

      it('delivers a channel subscribed to later from then on', async () => {
        const { adapter, inbox } = await connected();
        await adapter.subscribe('first');
        await adapter.publish('first', body('1'));
        await adapter.subscribe('second');
        const id = await adapter.publish('second', body('2'));
        await inbox.until(() => inbox.channel('second').some((m) => m.id === id), 'the event of the later channel');
      });

      it('still delivers the other subscribed channels after one is unsubscribed', async () => {
        const { adapter, inbox } = await connected();
        await adapter.subscribe('stay');
        await adapter.subscribe('go');
        await adapter.unsubscribe('go');
        const id = await adapter.publish('stay', body('x'));
        await inbox.until(() => inbox.channel('stay').some((m) => m.id === id), 'the event');
      });
    });

    describe('replay', () => {
      async function publishInterleaved(
        adapter: SseHubAdapter,
        count: number,
      ): Promise<{ channel: string; id: string }[]> {
        const events: { channel: string; id: string }[] = [];
        for (let i = 0; i < count; i++) {
          const channel = ['a', 'b', 'c'][i % 3];
          events.push({ channel, id: await adapter.publish(channel, body(`${i}`)) });
        }
        return events;
      }

      it('returns the events after a position, of every requested channel, in seq order, with the delivered frames', async () => {
        const { adapter, inbox } = await connected();
        await adapter.subscribe('a');
        await adapter.subscribe('b');
        const events = await publishInterleaved(adapter, 12);
        const after = parseEventId(events[3].id)!;
        const replay: SseReplay = await adapter.replay(['a', 'b'], after);
        const expected = events.slice(4).filter((e) => e.channel !== 'c');
        expect(replay.reset).toBeUndefined();
        expect(replay.events.map((e) => e.id)).toEqual(expected.map((e) => e.id));
        expect(replay.events.map((e) => e.channel)).toEqual(expected.map((e) => e.channel));
        expect(replay.events.map((e) => e.seq)).toEqual(expected.map((e) => parseEventId(e.id)!.seq));
        await inbox.until(() => inbox.channel('a').length + inbox.channel('b').length === 8, 'the events');
        const deliveredFrames = new Map(
          inbox.messages.map((m) => [(m as ChannelMessage).id, (m as ChannelMessage).frame]),
        );
        for (const event of replay.events) expect(event.frame).toBe(deliveredFrames.get(event.id));
        expect(replay.headId).toBe(events.at(-1)!.id);
      });

      it('returns nothing and no reset from the newest position', async () => {
        const { adapter } = await connected();
        const events = await publishInterleaved(adapter, 6);
        const replay = await adapter.replay(['a', 'b', 'c'], parseEventId(events.at(-1)!.id)!);
        expect(replay).toEqual({ events: [], headId: events.at(-1)!.id });
      });

      it('returns nothing and no reset for a channel that has had no events', async () => {
        const { adapter } = await connected();
        const events = await publishInterleaved(adapter, 3);
        const replay = await adapter.replay(['never-published'], parseEventId(events[0].id)!);
        expect(replay.events).toEqual([]);
        expect(replay.reset).toBeUndefined();
      });

      it('returns the events of a channel published to after the position only', async () => {
        const { adapter } = await connected();
        const first = await adapter.publish('x', body('1'));
        const second = await adapter.publish('y', body('2'));
        const replay = await adapter.replay(['y'], parseEventId(first)!);
        expect(replay.events.map((e) => e.id)).toEqual([second]);
        expect(replay.reset).toBeUndefined();
      });

      it("says 'expired' when events after the position are no longer kept, and returns the newest it kept", async () => {
        const { adapter } = await connected({ maxEvents: 3 });
        const ids: string[] = [];
        for (let i = 0; i < 8; i++) ids.push(await adapter.publish('a', body(`${i}`)));
        const replay = await adapter.replay(['a'], parseEventId(ids[0])!);
        expect(replay.reset).toBe('expired');
        const replayed = replay.events.map((e) => e.id);
        // What is kept is a suffix of what was published (trimming may be approximate).
        expect(replayed.length).toBeGreaterThanOrEqual(3);
        expect(replayed.length).toBeLessThan(7);
        expect(replayed).toEqual(ids.slice(ids.length - replayed.length));
        expect(replay.headId).toBe(ids.at(-1));
      });

      it('resumes without a reset from a position whose following events are all kept', async () => {
        const { adapter } = await connected({ maxEvents: 3 });
        const ids: string[] = [];
        for (let i = 0; i < 8; i++) ids.push(await adapter.publish('a', body(`${i}`)));
        const replay = await adapter.replay(['a'], parseEventId(ids[5])!);
        expect(replay.reset).toBeUndefined();
        expect(replay.events.map((e) => e.id)).toEqual(ids.slice(6));
      });

      it("says 'unknown' for a position of another epoch", async () => {
        const { adapter } = await connected();
        const id = await adapter.publish('a', body('1'));
        const { epoch, seq } = parseEventId(id)!;
        const other = epoch.length < 16 ? `${epoch}0` : `${epoch.slice(0, 15)}${epoch.endsWith('0') ? '1' : '0'}`;
        const replay = await adapter.replay(['a'], { epoch: other, seq });
        expect(replay.reset).toBe('unknown');
        expect(replay.events).toEqual([]);
        expect(replay.headId).toBe(id);
      });

      it("says 'unknown' for a position ahead of the newest event", async () => {
        const { adapter } = await connected();
        const id = await adapter.publish('a', body('1'));
        const { epoch, seq } = parseEventId(id)!;
        const replay = await adapter.replay(['a'], { epoch, seq: seq + 1000 });
        expect(replay.reset).toBe('unknown');
        expect(replay.events).toEqual([]);
        expect(replay.headId).toBe(id);
      });
    });

    describe('send', () => {
      it('delivers broadcast, connection, user and disconnect messages as they are, once each', async () => {
        const { adapter, inbox } = await connected();
        const sent: Exclude<SseHubMessage, { type: 'channel' }>[] = [
          { type: 'broadcast', frame: body('all'), except: 'c-1' },
          { type: 'broadcast', frame: body('all, no exception') },
          { type: 'connection', connectionId: 'c-2', frame: body('one') },
          { type: 'user', userId: '42', frame: body('tabs'), except: 'c-3' },
          { type: 'disconnect', connectionId: 'c-4' },
        ];
        for (const message of sent) await adapter.send(message);
        await inbox.until((messages) => messages.length >= sent.length, `${sent.length} messages`);
        // Settle: a last message sent after them arrives after any duplicate would have.
        await adapter.send({ type: 'connection', connectionId: 'marker', frame: body('marker') });
        await inbox.until(
          (messages) => messages.some((m) => m.type === 'connection' && m.connectionId === 'marker'),
          'the marker',
        );
        const received = inbox.messages.filter((m) => !(m.type === 'connection' && m.connectionId === 'marker'));
        expect(received).toHaveLength(sent.length);
        for (const message of sent) {
          expect(received).toContainEqual(
            Object.fromEntries(Object.entries(message).filter(([, value]) => value !== undefined)),
          );
        }
      });
    });

    describe('close', () => {
      it('resolves after use, releasing what it holds (Jest exits without --forceExit)', async () => {
        const { adapter, inbox } = await connected();
        await adapter.subscribe('a');
        await adapter.publish('a', body('before'));
        await inbox.until(() => inbox.channel('a').length === 1, 'the event');
        open.splice(open.indexOf(adapter), 1);
        await expect(Promise.resolve(adapter.close())).resolves.toBeUndefined();
      });

      it('resolves when the adapter was never connected', async () => {
        const adapter = await makeAdapter();
        await expect(Promise.resolve(adapter.close())).resolves.toBeUndefined();
      });
    });
  });
}
