import { Logger } from '@nestjs/common';
import { connect, type NatsConnection } from 'nats';
import { describeBrokerContract } from 'nestjs-event-stream/broker';
import { NatsSseBroker, NatsSseScheduleLock, type NatsSseBrokerOptions } from 'nestjs-event-stream/nats';
import { CaptureLogger } from '../utils/capture-logger.js';
import { deleteNamespace, NATS_URL, randomNamespace, watchNatsHandles } from '../utils/nats.js';
import { freePort } from '../utils/redis.js';
import { eventually, Inbox, readAll, within } from './broker-inbox.js';

/** Every namespace this file makes: their streams and buckets are deleted after it (the broker never deletes them). */
const made: string[] = [];
function namespace(name = 'c'): string {
  const made1 = randomNamespace(name);
  made.push(made1);
  return made1;
}

afterAll(async () => {
  for (const ns of made.splice(0)) await deleteNamespace(NATS_URL, ns);
});

describeBrokerContract(
  'NatsSseBroker',
  (options) => new NatsSseBroker({ servers: NATS_URL, namespace: namespace(), history: { ...options } }),
);

describe('NatsSseBroker', () => {
  const open: NatsSseBroker[] = [];
  const connections: NatsConnection[] = [];
  const logs = new CaptureLogger();

  beforeAll(() => Logger.overrideLogger(logs));

  afterEach(async () => {
    await Promise.all(open.splice(0).map((broker) => broker.close()));
    await Promise.all(connections.splice(0).map((nc) => nc.close()));
  });

  async function connected(options: NatsSseBrokerOptions = {}): Promise<{ broker: NatsSseBroker; inbox: Inbox }> {
    const broker = new NatsSseBroker({
      ...(options.connection ? {} : { servers: NATS_URL }),
      namespace: namespace(),
      ...options,
    });
    open.push(broker);
    const inbox = new Inbox(broker);
    await broker.connect();
    return { broker, inbox };
  }

  async function admin(): Promise<NatsConnection> {
    const nc = await connect({ servers: NATS_URL });
    connections.push(nc);
    return nc;
  }

  describe('options', () => {
    it('refuses servers and connection together, a bad namespace, bad servers and bad numbers with a TypeError naming the option', () => {
      const refused = (options: unknown, text: string) => {
        const run = () => new NatsSseBroker(options as NatsSseBrokerOptions);
        expect(run).toThrow(TypeError);
        expect(run).toThrow(text);
      };
      refused({ servers: NATS_URL, connection: {} }, 'either `servers`');
      refused({ namespace: 'a.b' }, 'option "NatsSseBroker namespace" must be 1 to 32 characters of [A-Za-z0-9_-]');
      refused({ namespace: '' }, 'option "NatsSseBroker namespace"');
      refused({ namespace: 'x'.repeat(33) }, 'option "NatsSseBroker namespace"');
      refused({ servers: 'http://127.0.0.1:4222' }, 'option "NatsSseBroker servers" must be a nats://host:port URL');
      refused({ servers: [] }, 'option "NatsSseBroker servers"');
      refused({ connection: {} }, 'option "NatsSseBroker connection" must be a NatsConnection');
      refused({ natsOptions: 'fast' }, 'option "NatsSseBroker natsOptions"');
      refused({ history: { maxEvents: -1 } }, 'option "NatsSseBroker history.maxEvents" must be an integer >= 0');
      refused({ history: { maxChannels: 0 } }, 'option "NatsSseBroker history.maxChannels"');
      refused({ history: { maxBytes: 1.5 } }, 'option "NatsSseBroker history.maxBytes"');
      refused({ history: { maxChannelBytes: '1' } }, 'option "NatsSseBroker history.maxChannelBytes"');
      refused({ history: { maxAgeMs: -5 } }, 'option "NatsSseBroker history.maxAgeMs"');
      refused({ idempotencyTtlMs: 0 }, 'option "NatsSseBroker idempotencyTtlMs"');
      refused({ maxIdempotencyKeys: 0 }, 'option "NatsSseBroker maxIdempotencyKeys"');
      refused({ commandTimeoutMs: 0 }, 'option "NatsSseBroker commandTimeoutMs"');
      refused({ connectTimeoutMs: -1 }, 'option "NatsSseBroker connectTimeoutMs"');
      refused({ reconnectDelayMs: 0 }, 'option "NatsSseBroker reconnectDelayMs"');
      refused(null, 'option "NatsSseBroker options"');
    });

    it('refuses a schedule lock on anything but a broker', () => {
      expect(() => new NatsSseScheduleLock({} as NatsSseBroker)).toThrow(
        "new NatsSseScheduleLock(broker) takes the app's NatsSseBroker, got a plain object",
      );
    });
  });

  describe('JetStream objects', () => {
    it('makes one events stream per namespace with the history bounds as its limits, and a channels stream', async () => {
      const { broker } = await connected({
        history: { maxEvents: 5, maxAgeMs: 60_000, maxBytes: 1_000_000 },
        idempotencyTtlMs: 120_000,
      });
      const jsm = await (await admin()).jetstreamManager();
      const events = await jsm.streams.info(`SSE_EVENTS_${broker.namespace}`);
      expect(events.config).toMatchObject({
        subjects: [`sse.${broker.namespace}.ch.*`],
        max_msgs_per_subject: 5,
        max_age: 60_000 * 1e6,
        max_bytes: 1_000_000,
        duplicate_window: 60_000 * 1e6,
        discard: 'old',
        allow_direct: true,
        storage: 'file',
      });
      const channels = await jsm.streams.info(`SSE_CHANNELS_${broker.namespace}`);
      expect(channels.config.subjects).toEqual([`sse.${broker.namespace}.ix.*`, `sse.${broker.namespace}.dropped`]);
      // One consumer: this instance's feed.
      expect(events.state.consumer_count).toBe(1);
    });
  });

  describe('across instances', () => {
    it('delivers events published on either instance to both, exactly once each, in seq order', async () => {
      const shared = namespace();
      const a = await connected({ namespace: shared });
      const b = await connected({ namespace: shared });
      await a.broker.subscribe('room');
      await b.broker.subscribe('room');
      const positions = await Promise.all(
        Array.from({ length: 40 }, (_, i) => (i % 2 ? a : b).broker.publish('room', `${i}`)),
      );
      const sorted = positions.map((p) => p.seq).sort((x, y) => x - y);
      expect(new Set(sorted).size).toBe(40);
      const marker = await a.broker.publish('room', 'marker');
      await a.inbox.until(() => a.inbox.seqs('room').includes(marker.seq), 'A to get the marker');
      await b.inbox.until(() => b.inbox.seqs('room').includes(marker.seq), 'B to get the marker');
      expect(a.inbox.seqs('room')).toEqual([...sorted, marker.seq]);
      expect(b.inbox.seqs('room')).toEqual([...sorted, marker.seq]);
      // The chain of each event to the one before stays exact when two instances publish to one channel.
      const page = await readAll(b.broker, ['room'], { epoch: marker.epoch, seq: 0 }, 7);
      expect(page.seqs).toEqual([...sorted, marker.seq]);
      expect(page.resets).toEqual([]);
    });

    it('lets two instances publishing to one channel without a pause both make progress, the chain exact', async () => {
      const shared = namespace();
      // A short command timeout: a publish that keeps losing the race to the other instance fails within it.
      const options = { namespace: shared, history: { maxEvents: 10_000 }, commandTimeoutMs: 200 };
      const a = await connected(options);
      const b = await connected(options);
      const loop = async (broker: NatsSseBroker, name: string) => {
        const seqs: number[] = [];
        for (let i = 0; i < 300; i++) seqs.push((await broker.publish('hot', `${name}${i}`)).seq);
        return seqs;
      };
      const [fromA, fromB] = await Promise.all([loop(a.broker, 'a'), loop(b.broker, 'b')]);
      const head = await a.broker.head();
      const page = await readAll(a.broker, ['hot'], { epoch: head.epoch, seq: 0 }, 1000);
      expect(page.resets).toEqual([]);
      expect(page.seqs).toEqual([...fromA, ...fromB].sort((x, y) => x - y));
      // Each instance's own events are in the order it published them.
      expect(page.payloads.filter((p) => p.startsWith('a'))).toEqual(fromA.map((_, i) => `a${i}`));
      expect(page.payloads.filter((p) => p.startsWith('b'))).toEqual(fromB.map((_, i) => `b${i}`));
    });

    it('delivers broadcasts, targeted sends and disconnects to every instance', async () => {
      const shared = namespace();
      const a = await connected({ namespace: shared });
      const b = await connected({ namespace: shared });
      await a.broker.send({ type: 'user', userId: '7', payload: 'data: hi\n\n' });
      await a.broker.send({ type: 'disconnect', connectionId: 'c-1' });
      for (const { inbox } of [a, b]) {
        await inbox.until(() => inbox.messages.length === 2, 'both messages');
        expect(inbox.messages).toEqual([
          { type: 'user', userId: '7', payload: 'data: hi\n\n' },
          { type: 'disconnect', connectionId: 'c-1' },
        ]);
      }
    });

    it('answers a publish with a key another instance used on the channel with that first position', async () => {
      const shared = namespace();
      const a = await connected({ namespace: shared });
      const b = await connected({ namespace: shared });
      const first = await a.broker.publish('orders', 'order 1', { idempotencyKey: 'order-1' });
      expect(await b.broker.publish('orders', 'order 1', { idempotencyKey: 'order-1' })).toEqual(first);
      const page = await b.broker.read(['orders'], { ...first, seq: first.seq - 1 }, 10);
      expect(page.events.map((e) => e.payload)).toEqual(['order 1']);
    });

    it('keeps the sequence, the epoch and the history across a restart of the app (a new broker on the namespace)', async () => {
      const shared = namespace();
      const first = await connected({ namespace: shared });
      const before = await first.broker.publish('news', '1');
      const kept = await first.broker.publish('news', '2');
      await first.broker.close();
      const second = await connected({ namespace: shared });
      const after = await second.broker.publish('news', '3');
      expect(after.epoch).toBe(before.epoch);
      expect(after.seq).toBeGreaterThan(kept.seq);
      const page = await second.broker.read(['news'], before, 10);
      expect(page.events.map((e) => e.payload)).toEqual(['2', '3']);
      expect(page.reset).toBeUndefined();
    });

    it('takes each tick of a schedule lock on one instance only, and another tick again', async () => {
      const shared = namespace();
      const a = await connected({ namespace: shared });
      const b = await connected({ namespace: shared });
      const locks = [new NatsSseScheduleLock(a.broker), new NatsSseScheduleLock(b.broker)];
      for (const tick of ['tick-1', 'tick-2']) {
        const won = await Promise.all(Array.from({ length: 6 }, (_, i) => locks[i % 2].acquire('job', tick, 5000)));
        expect(won.filter(Boolean)).toHaveLength(1);
      }
      // Another job's tick of the same key is another claim; a longer ttl raises the bucket's.
      expect(await locks[1].acquire('other job', 'tick-1', 3_600_000)).toBe(true);
      const jsm = await (await admin()).jetstreamManager();
      const bucket = await jsm.streams.info(`KV_SSE_LOCKS_${shared}`);
      expect(bucket.config.max_age).toBeGreaterThanOrEqual(3_600_000 * 1e6);
      await expect(locks[0].acquire('job', '', 0)).rejects.toThrow('ttlMs must be an integer >= 1');
      await expect(locks[0].acquire('job\n', 'x', 10)).rejects.toThrow('without control characters');
    });

    it('takes the next tick after its KV bucket was deleted (making it again), without resyncing the broker', async () => {
      const { broker, inbox } = await connected();
      await broker.subscribe('a');
      const lock = new NatsSseScheduleLock(broker);
      expect(await lock.acquire('job', 'tick-1', 5000)).toBe(true);
      const jsm = await (await admin()).jetstreamManager();
      await jsm.streams.delete(`KV_SSE_LOCKS_${broker.namespace}`);
      logs.clear();
      for (const tick of ['tick-2', 'tick-3', 'tick-4']) expect(await lock.acquire('job', tick, 5000)).toBe(true);
      expect(await lock.acquire('job', 'tick-4', 5000)).toBe(false);
      // The events stream was never in question: no consumer restart, no gap, no refusal logged.
      const position = await broker.publish('a', 'after');
      await inbox.until(() => inbox.seqs('a').includes(position.seq), 'the event');
      expect(inbox.gaps()).toEqual([]);
      expect(logs.messages('warn', 'are answered 503')).toEqual([]);
      expect(broker.status().state).toBe('up');
    });
  });

  describe('channels and payloads', () => {
    it("maps every character of channel names to one subject token, '.' and '/' included, and back", async () => {
      const { broker, inbox } = await connected();
      const channels = ['a', 'a.b', 'a.b.c', 'a/b', 'x:y@z', '.lead', 'trail.', 'a..b', '-_.:/@', 'Z'.repeat(200)];
      for (const channel of channels) await broker.subscribe(channel);
      const positions = [];
      for (const channel of channels) positions.push({ channel, ...(await broker.publish(channel, channel)) });
      await inbox.until(() => inbox.messages.length === channels.length, 'every event');
      expect(inbox.messages.map((m) => m.type === 'channel' && [m.channel, m.payload])).toEqual(
        channels.map((c) => [c, c]),
      );
      for (const { channel, epoch, seq } of positions) {
        const page = await broker.read([channel], { epoch, seq: seq - 1 }, 10);
        expect(page.events.map((e) => [e.channel, e.payload])).toEqual([[channel, channel]]);
      }
    });

    it("moves the largest payload that fits the server's max_payload, and refuses a larger one with a RangeError that says so", async () => {
      const { broker, inbox } = await connected();
      await broker.subscribe('big');
      const nearly = 'x'.repeat(1024 * 1024 - 1024);
      const position = await broker.publish('big', nearly);
      await inbox.until(() => inbox.channel('big').length === 1, 'the large event');
      expect(inbox.channel('big')[0].payload).toBe(nearly);
      const page = await broker.read(['big'], { ...position, seq: position.seq - 1 }, 10);
      expect(page.events.map((e) => e.payload.length)).toEqual([nearly.length]);
      // 1 MiB, the default max_payload, leaves no room for the event's headers.
      for (const size of [1024 * 1024, 1024 * 1024 - 64, 5 * 1024 * 1024]) {
        const error = await broker.publish('big', 'x'.repeat(size)).catch((e: unknown) => e);
        expect(error).toBeInstanceOf(RangeError);
        expect((error as Error).message).toMatch(/larger than the NATS server's max_payload \(1048576 bytes/);
      }
      expect(await broker.head()).toEqual(position);
    });

    it('refuses an event that the events stream could not keep even alone (over maxBytes), with a RangeError naming the option', async () => {
      const { broker, inbox } = await connected({ history: { maxBytes: 300 } });
      await broker.subscribe('small');
      const kept = await broker.publish('small', 'x'.repeat(100));
      const error = await broker.publish('small', 'x'.repeat(200)).catch((e: unknown) => e);
      expect(error).toBeInstanceOf(RangeError);
      expect((error as Error).message).toMatch(
        /keeps at most history\.maxBytes \(300\) bytes.+Raise history\.maxBytes/,
      );
      expect(await broker.head()).toEqual(kept);
      expect(inbox.seqs('small')).toEqual([kept.seq]);
    });

    it("keeps no history with maxEvents 0: events are delivered, and a resume from before the newest says 'expired'", async () => {
      const { broker, inbox } = await connected({ history: { maxEvents: 0 } });
      await broker.subscribe('live');
      const first = await broker.publish('live', '1');
      const second = await broker.publish('live', '2');
      await inbox.until(() => inbox.seqs('live').length === 2, 'both events');
      expect(await broker.head()).toEqual(second);
      expect(await broker.read(['live'], first, 10)).toEqual({
        events: [],
        more: false,
        reset: 'expired',
        head: second,
      });
      expect(await broker.read(['live'], second, 10)).toEqual({ events: [], more: false, head: second });
    });

    it("says 'expired' for a resume past events that maxAgeMs let go of, and keeps the newer ones", async () => {
      const { broker } = await connected({ history: { maxAgeMs: 300 } });
      const old = await broker.publish('aging', 'old');
      const jsm = await (await admin()).jetstreamManager();
      await eventually(
        async () => (await jsm.streams.info(`SSE_EVENTS_${broker.namespace}`)).state.messages,
        (messages) => messages === 0,
        'the old event to age out',
      );
      const fresh = await broker.publish('aging', 'fresh');
      const page = await broker.read(['aging'], { ...old, seq: old.seq - 1 }, 10);
      expect(page.reset).toBe('expired');
      expect(page.events.map((e) => e.seq)).toEqual([fresh.seq]);
      expect((await broker.read(['aging'], old, 10)).reset).toBeUndefined();
      // A channel whose events all aged out: expired before them, not after.
      expect((await broker.read(['never'], { ...old, seq: 0 }, 10)).reset).toBeUndefined();
    });
  });

  describe('status', () => {
    it('names the server but never its credentials, in status() and in refusals, while it cannot connect', async () => {
      const broker = new NatsSseBroker({
        servers: `nats://sse-user:s3cret@127.0.0.1:${await freePort()}`,
        namespace: namespace(),
        connectTimeoutMs: 100,
        reconnectDelayMs: 50,
      });
      open.push(broker);
      expect(broker.status()).toMatchObject({ state: 'down', detail: expect.stringMatching(/^Not connected yet/) });
      await broker.connect();
      const { detail } = await eventually(
        async () => broker.status(),
        (status) => /ECONNREFUSED|CONNECTION_REFUSED/.test(status.detail ?? ''),
        'the connection error in the status',
      );
      expect(detail).toMatch(/^Connecting to NATS at 127\.0\.0\.1:\d+ \(/);
      const error = (await broker.publish('a', 'x').catch((e: unknown) => e)) as { detail: string; message: string };
      for (const text of [detail, error.detail, error.message, ...logs.entries.map((e) => e.message)]) {
        expect(text).not.toContain('s3cret');
      }
      expect(error.message).not.toContain('127.0.0.1');
    });
  });

  describe('streams deleted under it', () => {
    it('makes them again with a new epoch, reports a gap from its start, and refuses the old positions as unknown', async () => {
      const { broker, inbox } = await connected();
      await broker.subscribe('a');
      const before = await broker.publish('a', '1');
      await inbox.until(() => inbox.seqs('a').includes(before.seq), 'the first event');
      const jsm = await (await admin()).jetstreamManager();
      await jsm.streams.delete(`SSE_EVENTS_${broker.namespace}`);
      await jsm.streams.delete(`SSE_CHANNELS_${broker.namespace}`);
      // The first publish finds no stream (a 503): the broker sets its streams up again at once.
      const refused = await broker.publish('a', 'lost').catch((e: unknown) => e);
      expect((refused as { getStatus?: () => number }).getStatus?.()).toBe(503);
      await inbox.until(() => inbox.gaps().length === 1, 'the gap');
      const { after } = inbox.gaps()[0];
      expect(after.epoch).not.toBe(before.epoch);
      expect(after.seq).toBe(0);
      const again = await broker.publish('a', '2');
      expect(again.epoch).toBe(after.epoch);
      await inbox.until(() => inbox.seqs('a').includes(again.seq), 'the event of the new epoch');
      expect((await broker.read(['a'], before, 10)).reset).toBe('unknown');
      expect((await readAll(broker, ['a'], after, 10)).payloads).toEqual(['2']);
    });
  });

  describe('its consumer deleted under it', () => {
    it('starts it again from where it was, while another instance publishes, delivering every event once, in order', async () => {
      const shared = namespace();
      const a = await connected({ namespace: shared, history: { maxEvents: 100_000 } });
      const b = await connected({ namespace: shared, history: { maxEvents: 100_000 } });
      await a.broker.subscribe('x');
      await a.broker.subscribe('y');
      const jsm = await (await admin()).jetstreamManager();
      const stream = `SSE_EVENTS_${shared}`;
      const published: number[] = [];
      let stop = false;
      const publishing = (async () => {
        for (let i = 0; !stop && i < 20_000; i++)
          published.push((await b.broker.publish(i % 2 ? 'x' : 'y', `${i}`)).seq);
      })();
      for (let round = 0; round < 3; round++) {
        await eventually(
          async () => published.length,
          (n) => n >= (round + 1) * 1500,
          'more events published',
        );
        const names: string[] = [];
        for await (const consumer of jsm.consumers.list(stream)) names.push(consumer.name);
        for (const name of names) await jsm.consumers.delete(stream, name).catch(() => undefined);
      }
      stop = true;
      await publishing;
      const last = published[published.length - 1];
      const delivered = () => a.inbox.messages.flatMap((m) => (m.type === 'channel' ? [m.seq] : []));
      // A consumer that stops delivering is noticed within a few heartbeats (2 s each) and started again.
      await eventually(
        async () => delivered(),
        (seqs) => seqs.includes(last),
        'A to get the last event',
        30_000,
      );
      expect(delivered()).toEqual(published);
      expect(a.inbox.gaps().length).toBeGreaterThanOrEqual(1);
      expect(a.broker.status().state).toBe('up');
      await within(a.broker.head(), 'the head, once the feed caught up');
    }, 60_000);
  });

  describe('close', () => {
    it("leaves a connection it was given open, with the broker's consumer and subscriptions gone", async () => {
      const nc = await admin();
      const { broker, inbox } = await connected({ connection: nc });
      await broker.subscribe('a');
      const position = await broker.publish('a', '1');
      await inbox.until(() => inbox.seqs('a').includes(position.seq), 'the event');
      const jsm = await nc.jetstreamManager();
      const stream = `SSE_EVENTS_${broker.namespace}`;
      expect((await jsm.streams.info(stream)).state.consumer_count).toBe(1);
      await broker.close();
      expect(inbox.completed).toBe(true);
      expect(nc.isClosed()).toBe(false);
      expect((await jsm.streams.info(stream)).state.consumer_count).toBe(0);
      // The history stays: another instance, or this app restarted, resumes from it.
      expect((await jsm.streams.info(stream)).state.messages).toBe(1);
    });

    it('stays down, saying why, once the connection it was given is closed by its owner', async () => {
      const nc = await connect({ servers: NATS_URL });
      const { broker } = await connected({ connection: nc });
      await nc.close();
      const status = await eventually(
        async () => broker.status(),
        (s) => s.state === 'down',
        'the broker to see the connection closed',
      );
      expect(status.detail).toMatch(/is unreachable/);
      expect(logs.messages('error', 'was closed for good').length).toBeGreaterThan(0);
      const error = await broker.publish('a', 'x').catch((e: unknown) => e);
      expect((error as { getStatus?: () => number }).getStatus?.()).toBe(503);
    });

    it('closes the connection it opened and leaves no socket or timer behind', async () => {
      const watch = watchNatsHandles();
      const broker = new NatsSseBroker({ servers: NATS_URL, namespace: namespace() });
      await broker.connect();
      await broker.subscribe('a');
      await broker.publish('a', '1');
      await broker.head();
      await broker.close();
      expect(broker.status().state).toBe('down');
      expect(await watch.stop()).toEqual({});
    });
  });
});
