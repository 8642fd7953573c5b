import { createHook } from 'node:async_hooks';
import { Logger } from '@nestjs/common';
import { Cluster, Redis } from 'ioredis';
import { describeBrokerContract, type SseBrokerContext } from 'nestjs-event-stream/broker';
import {
  RedisSseBroker,
  RedisSseScheduleLock,
  RedisSseTicketStore,
  RedisSseUnavailableError,
  type RedisSseBrokerOptions,
} from 'nestjs-event-stream/redis';
import { hashSlotOf } from '../../lib/brokers/redis/redis-sse-hash-slot.js';
import { RedisSignedOutUsers } from '../../sample/src/sessions/redis-signed-out-users.js';
import { CaptureLogger } from '../utils/capture-logger.js';
import { watchHandles } from '../utils/handles.js';
import { RedisClusterServer } from '../utils/redis-cluster.js';
import { deleteKeys, randomPrefix, REDIS_URL, RedisServer } from '../utils/redis.js';
import { eventually, Inbox, readAll } from './broker-inbox.js';

/**
 * What the broker (and ioredis under it) leaves behind from now on: its sockets, and the timers it made
 * (told from the timers of Jest's own reporter, which ticks in the same process when the file runs in band,
 * by where they were made).
 */
function watchBrokerHandles(): { stop(): Promise<Record<string, number>> } {
  const sockets = watchHandles(['TCPWRAP', 'TLSWRAP', 'TCPCONNECTWRAP']);
  const timers = new Set<number>();
  const hook = createHook({
    init: (id, type) => {
      if (type === 'Timeout' && /node_modules[\\/]ioredis|lib[\\/]brokers[\\/]redis/.test(new Error().stack ?? '')) {
        timers.add(id);
      }
    },
    destroy: (id) => void timers.delete(id),
  }).enable();
  return {
    stop: async () => {
      const counts = await sockets.stop();
      hook.disable();
      return timers.size > 0 ? { ...counts, Timeout: timers.size } : counts;
    },
  };
}

/** The Redis broker on a private Redis Cluster of 3 masters (no replicas), started for this file. */
describe('RedisSseBroker on a Redis Cluster', () => {
  const prefix = randomPrefix('redis-cluster');
  let namespaces = 0;
  /** A fresh namespace under this file's prefix (no hash tag: the broker adds one). */
  const namespace = () => `${prefix}${++namespaces}:`;
  let cluster: RedisClusterServer;

  beforeAll(async () => {
    cluster = await RedisClusterServer.start();
  }, 60_000);

  afterAll(async () => {
    await cluster?.stop();
    await deleteKeys(REDIS_URL, prefix);
  });

  describeBrokerContract(
    'RedisSseBroker on a Redis Cluster',
    (options) =>
      new RedisSseBroker({ url: cluster.url, cluster: true, keyPrefix: namespace(), history: { ...options } }),
  );

  describe('on the cluster', () => {
    const open: { close(): Promise<void> }[] = [];
    const clients: (Redis | Cluster)[] = [];
    const logs = new CaptureLogger();

    beforeAll(() => Logger.overrideLogger(logs));

    afterEach(async () => {
      await Promise.all(open.splice(0).map((broker) => broker.close()));
      await Promise.all(clients.splice(0).map((client) => client.quit().catch(() => client.disconnect())));
    });

    /** A broker of the cluster (or of `options.url`), connected, and what it delivers. */
    async function connected(
      options: RedisSseBrokerOptions = {},
      context?: SseBrokerContext,
    ): Promise<{ broker: RedisSseBroker; inbox: Inbox }> {
      const fast = { redisOptions: { retryStrategy: () => 50 } };
      const broker = new RedisSseBroker(
        options.client ? options : { url: cluster.url, cluster: true, keyPrefix: namespace(), ...fast, ...options },
      );
      open.push(broker);
      const inbox = new Inbox(broker);
      await broker.connect(context);
      return { broker, inbox };
    }

    /** A plain connection to one node (commands there are not redirected). */
    function node(port: number): Redis {
      const redis = new Redis(port, { retryStrategy: () => 50 });
      clients.push(redis);
      return redis;
    }

    /** Every key of the cluster under `keyPrefix`, with the port of the node that holds it. */
    async function keysOf(keyPrefix: string): Promise<{ key: string; port: number }[]> {
      const found: { key: string; port: number }[] = [];
      for (const port of cluster.ports) {
        const keys = await node(port).keys(`${keyPrefix.replace(/[*?[\]\\]/g, '\\$&')}*`);
        found.push(...keys.map((key) => ({ key, port })));
      }
      return found;
    }

    describe('options', () => {
      it('refuses a bad cluster, clusterNodes or pubsub, a database on a cluster and a Redis client with cluster: true, naming the option', () => {
        expect(() => new RedisSseBroker({ cluster: 'yes' as never })).toThrow(
          `option "RedisSseBroker cluster" must be true, false or 'auto'`,
        );
        expect(() => new RedisSseBroker({ cluster: true, clusterNodes: 'redis://a:1' as never })).toThrow(
          'option "RedisSseBroker clusterNodes"',
        );
        expect(() => new RedisSseBroker({ cluster: true, clusterNodes: ['http://a:1'] })).toThrow(
          'is not a redis:// or rediss:// URL of a cluster node',
        );
        expect(() => new RedisSseBroker({ pubsub: 'fast' as never })).toThrow('option "RedisSseBroker pubsub"');
        const withDb = () => new RedisSseBroker({ url: 'redis://:s3cret@127.0.0.1:7000/2', cluster: true });
        expect(withDb).toThrow('a Redis Cluster has only database 0');
        expect(withDb).not.toThrow(/s3cret/);
        const single = new Redis({ lazyConnect: true });
        expect(() => new RedisSseBroker({ client: single, cluster: true })).toThrow('needs an ioredis `Cluster`');
        expect(() => new RedisSseBroker({ url: cluster.url, clusterNodes: [cluster.urls[1]] })).toThrow(
          '`clusterNodes` and `clusterOptions` are for the broker',
        );
      });

      it('refuses an ioredis keyPrefix with sharded Pub/Sub or on a cluster (ioredis would prefix only the shard channels it subscribes to), naming where it is', async () => {
        const refused = 'an ioredis `keyPrefix` (redisOptions.keyPrefix) is not supported on a Redis Cluster';
        expect(
          () => new RedisSseBroker({ url: cluster.url, cluster: true, redisOptions: { keyPrefix: 'app:' } }),
        ).toThrow(refused);
        expect(
          () => new RedisSseBroker({ url: cluster.url, cluster: true, redisOptions: { keyPrefix: 'app:' } }),
        ).toThrow(TypeError);
        expect(
          () => new RedisSseBroker({ cluster: true, clusterOptions: { redisOptions: { keyPrefix: 'app:' } } }),
        ).toThrow('(clusterOptions.redisOptions.keyPrefix)');
        expect(() => new RedisSseBroker({ pubsub: 'sharded', redisOptions: { keyPrefix: 'app:' } })).toThrow(
          'is not supported with sharded Pub/Sub',
        );
        const prefixed = new Cluster([{ host: '127.0.0.1', port: cluster.ports[0] }], {
          lazyConnect: true,
          keyPrefix: 'app:',
        });
        expect(() => new RedisSseBroker({ client: prefixed })).toThrow("(the client's keyPrefix)");
        const nodePrefixed = new Cluster([{ host: '127.0.0.1', port: cluster.ports[0] }], {
          lazyConnect: true,
          redisOptions: { keyPrefix: 'app:' },
        });
        expect(() => new RedisSseBroker({ client: nodePrefixed })).toThrow("(the client's");
        // A single server with classic Pub/Sub keeps it, as before; 'auto' refuses once it finds a cluster.
        expect(() => new RedisSseBroker({ url: REDIS_URL, redisOptions: { keyPrefix: 'app:' } })).not.toThrow();
        const auto = new RedisSseBroker({ url: cluster.url, cluster: 'auto', redisOptions: { keyPrefix: 'app:' } });
        await expect(auto.connect()).rejects.toThrow(refused);
        await auto.close();
      });

      it("refuses a keyPrefix that can get no hash tag on a cluster (one starting with '}'), naming it", () => {
        for (const cluster of [true, 'auto'] as const) {
          const make = () => new RedisSseBroker({ url: 'redis://127.0.0.1:7000', cluster, keyPrefix: '}x:' });
          expect(make).toThrow(TypeError);
          expect(make).toThrow('the keyPrefix "}x:" gives no hash tag on a Redis Cluster');
        }
        // One with a tag of its own later on is kept; a single server takes it as it is.
        expect(
          new RedisSseBroker({ url: 'redis://127.0.0.1:7000', cluster: true, keyPrefix: '}x{t}:' }).keyPrefix,
        ).toBe('}x{t}:');
        expect(new RedisSseBroker({ url: REDIS_URL, keyPrefix: '}x:' }).keyPrefix).toBe('}x:');
      });

      it('computes the hash slot of a key as the cluster does, by its hash tag if it has one', async () => {
        const keys = [
          'sse:',
          '{sse:}seq',
          'foo',
          '{user1000}.following',
          'a{}b{c}',
          'x{y}z{w}',
          '{}',
          '{é}ü',
          'k'.repeat(300),
        ];
        const server = node(cluster.ports[0]);
        for (const key of keys) expect([key, hashSlotOf(key)]).toEqual([key, await server.cluster('KEYSLOT', key)]);
      });

      it('adds a hash tag to a prefix that has none on a cluster, keeps one that has it, and leaves a single server as it was', () => {
        expect(new RedisSseBroker({ cluster: true, keyPrefix: 'sse:' }).keyPrefix).toBe('{sse:}');
        expect(new RedisSseBroker({ cluster: true, keyPrefix: 'app:{sse}:' }).keyPrefix).toBe('app:{sse}:');
        expect(new RedisSseBroker({ cluster: true, keyPrefix: 'a{}b:' }).keyPrefix).toBe('{a{}b:}');
        // 'auto' adds it once connect() has found a cluster (see below).
        expect(new RedisSseBroker({ cluster: 'auto', keyPrefix: 'sse:' }).keyPrefix).toBe('sse:');
        expect(new RedisSseBroker({ keyPrefix: 'sse:' }).keyPrefix).toBe('sse:');
      });
    });

    it("with 'auto', finds the cluster from any node (and tags the prefix), and a single server on the shared Redis (as it was)", async () => {
      const tagged = namespace();
      const onCluster = await connected({ url: cluster.urls[2], cluster: 'auto', keyPrefix: tagged });
      expect(onCluster.broker.keyPrefix).toBe(`{${tagged}}`);
      const lock = new RedisSseScheduleLock(onCluster.broker);
      expect(await lock.acquire('job', 'auto', 10_000)).toBe(true);
      await onCluster.broker.subscribe('room');
      const published = await onCluster.broker.publish('room', 'hello');
      await onCluster.inbox.until(() => onCluster.inbox.seqs('room').includes(published.seq), 'the event');
      const owner = await cluster.ownerOf(`${onCluster.broker.keyPrefix}seq`);
      expect(await node(owner).get(`${onCluster.broker.keyPrefix}seq`)).toBe(String(published.seq));
      expect(await node(owner).exists(`{${tagged}}lock:job:auto`)).toBe(1);

      const keyPrefix = namespace();
      const single = await connected({ url: REDIS_URL, cluster: 'auto', keyPrefix });
      await single.broker.subscribe('room');
      const there = await single.broker.publish('room', 'hello');
      await single.inbox.until(() => single.inbox.seqs('room').includes(there.seq), 'the event on the single server');
      // A single server: the key layout and classic Pub/Sub of earlier versions.
      expect(single.broker.keyPrefix).toBe(keyPrefix);
      const shared = node(6379);
      expect(await shared.call('PUBSUB', 'CHANNELS', `${keyPrefix}channel:*`)).toEqual([`${keyPrefix}channel:room`]);
      expect(await shared.get(`${keyPrefix}seq`)).toBe(String(there.seq));
      expect(single.broker.status().state).toBe('up');
    });

    it('keeps every key of a namespace on one slot: history, idempotency, locks, statistics and tickets', async () => {
      const context: SseBrokerContext = { localCounts: () => ({ connections: 2, channels: new Map([['a', 2]]) }) };
      const { broker } = await connected({ statsIntervalMs: 50 }, context);
      for (const channel of ['a', 'b', 'c:1', 'd/e', 'f@g']) await broker.publish(channel, channel);
      await broker.publish('a', 'again', { idempotencyKey: 'k1' });
      expect(await new RedisSseScheduleLock(broker).acquire('job', '1', 10_000)).toBe(true);
      await new RedisSseTicketStore({ broker }).put('ticket1', 'record', 10_000);
      await eventually(
        () => broker.clusterCount('a'),
        (count) => count === 2,
        'the statistics',
      );
      const keys = await keysOf(broker.keyPrefix);
      const names = keys.map((entry) => entry.key.slice(broker.keyPrefix.length)).sort();
      expect(names).toEqual(
        expect.arrayContaining([
          'epoch',
          'seq',
          'history:f@g',
          'history:d/e',
          'idempotency',
          'lock:job:1',
          'instances',
        ]),
      );
      expect(names).toContain('ticket:ticket1');
      expect(new Set(keys.map((entry) => entry.port)).size).toBe(1);
      const slots = await Promise.all(keys.map((entry) => node(entry.port).cluster('KEYSLOT', entry.key)));
      expect(new Set(slots).size).toBe(1);
    });

    it('subscribes with sharded Pub/Sub on the master of the namespace, and classic Pub/Sub when asked', async () => {
      const sharded = await connected();
      await sharded.broker.subscribe('room');
      const owner = node(await cluster.ownerOf(`${sharded.broker.keyPrefix}seq`));
      const shardChannels = (await owner.call('PUBSUB', 'SHARDCHANNELS', `${sharded.broker.keyPrefix}*`)) as string[];
      expect(shardChannels.sort()).toEqual(
        [
          `${sharded.broker.keyPrefix}channel:room`,
          `${sharded.broker.keyPrefix}control`,
          `${sharded.broker.keyPrefix}instance:${sharded.broker.instanceId}`,
        ].sort(),
      );
      expect(await owner.call('PUBSUB', 'CHANNELS', `${sharded.broker.keyPrefix}*`)).toEqual([]);

      const keyPrefix = namespace();
      const a = await connected({ keyPrefix, pubsub: 'classic' });
      const b = await connected({ keyPrefix, pubsub: 'classic' });
      await Promise.all([a.broker.subscribe('room'), b.broker.subscribe('room')]);
      const classicOwner = node(await cluster.ownerOf(`${a.broker.keyPrefix}seq`));
      expect(await classicOwner.call('PUBSUB', 'CHANNELS', `${a.broker.keyPrefix}channel:*`)).toEqual([
        `${a.broker.keyPrefix}channel:room`,
      ]);
      expect(await classicOwner.call('PUBSUB', 'SHARDCHANNELS', `${a.broker.keyPrefix}*`)).toEqual([]);
      const event = await a.broker.publish('room', 'classic');
      await b.broker.send({ type: 'broadcast', payload: 'to all' });
      for (const { inbox } of [a, b]) {
        await inbox.until(() => inbox.seqs('room').includes(event.seq), 'the classic event');
        await inbox.until(() => inbox.messages.some((m) => m.type === 'broadcast'), 'the broadcast');
      }
    });

    it('delivers what two brokers of one namespace publish to both, exactly once each and in seq order', async () => {
      const keyPrefix = namespace();
      const a = await connected({ keyPrefix });
      const b = await connected({ keyPrefix });
      await Promise.all([a.broker.subscribe('room'), b.broker.subscribe('room')]);
      const published = await Promise.all(
        Array.from({ length: 40 }, (_, i) => (i % 2 ? b : a).broker.publish('room', String(i))),
      );
      const seqs = published.map((position) => position.seq).sort((x, y) => x - y);
      expect(new Set(seqs).size).toBe(40);
      await a.inbox.settle(a.broker, 'room');
      await b.inbox.settle(b.broker, 'room');
      for (const { inbox } of [a, b]) {
        const received = inbox.channel('room').filter((m) => m.payload !== 'marker');
        expect(received.map((m) => m.seq)).toEqual(seqs);
      }
      const { seqs: stored } = await readAll(b.broker, ['room'], { epoch: published[0].epoch, seq: 0 }, 7);
      expect(stored.slice(0, 40)).toEqual(seqs);
    });

    it('gives a schedule tick to one broker of the namespace, and redeems a ticket once across brokers', async () => {
      const keyPrefix = namespace();
      const a = await connected({ keyPrefix });
      const b = await connected({ keyPrefix });
      const locks = [new RedisSseScheduleLock(a.broker), new RedisSseScheduleLock(b.broker)];
      const taken = await Promise.all(Array.from({ length: 10 }, (_, i) => locks[i % 2].acquire('tick', '42', 10_000)));
      expect(taken.filter(Boolean)).toHaveLength(1);
      const [onA, onB] = [new RedisSseTicketStore({ broker: a.broker }), new RedisSseTicketStore({ broker: b.broker })];
      await onA.put('t1', 'who', 10_000);
      const redeemed = await Promise.all([onB.take('t1'), onA.take('t1'), onB.take('t1')]);
      expect(redeemed.filter((record) => record === 'who')).toHaveLength(1);
    });

    it('keeps tickets in a cluster from a store of its own (url and cluster: true) or on a Cluster client', async () => {
      const own = new RedisSseTicketStore({ url: cluster.urls[1], cluster: true, keyPrefix: namespace() });
      open.push(own);
      const given = new Cluster([{ host: '127.0.0.1', port: cluster.ports[2] }]);
      clients.push(given);
      const onClient = new RedisSseTicketStore({ client: given, keyPrefix: namespace() });
      for (const store of [own, onClient]) {
        // Keys of many slots, so of every master.
        const keys = Array.from({ length: 30 }, (_, i) => `ticket-${i}`);
        await Promise.all(keys.map((key) => store.put(key, `record ${key}`, 10_000)));
        expect(await Promise.all(keys.map((key) => store.take(key)))).toEqual(keys.map((key) => `record ${key}`));
        expect(await store.take(keys[0])).toBeUndefined();
      }
      await own.close();
      expect(given.status).toBe('ready');
      expect(() => new RedisSseTicketStore({ url: 'redis://127.0.0.1:7000/3', cluster: true })).toThrow(
        'a Redis Cluster has only database 0',
      );
    });

    it('leaves no timer or socket behind when closed while the master of its namespace is down, and names no password', async () => {
      const keyPrefix = namespace();
      const url = cluster.url.replace('redis://', 'redis://default:s3cret-pa55@');
      const { broker } = await connected({ url, keyPrefix });
      await broker.subscribe('room');
      const master = cluster.ports.indexOf(await cluster.ownerOf(`${broker.keyPrefix}seq`));
      logs.clear();
      await cluster.stopNode(master);
      try {
        await logs.waitFor('error', 'No connection to Redis');
        const status = broker.status();
        expect(status).toMatchObject({ state: 'down', detail: expect.stringContaining(`${cluster.ports[master]}`) });
        expect(JSON.stringify(status) + logs.entries.map((entry) => entry.message).join()).not.toMatch(/s3cret/);
        const handles = watchBrokerHandles();
        const closing = Date.now();
        await broker.close();
        expect(Date.now() - closing).toBeLessThan(1000);
        expect(await handles.stop()).toEqual({});
      } finally {
        await cluster.startNode(master);
      }
    }, 30_000);

    it('closes (and completes its messages) when its opening failed: a database in the url of a cluster found by auto', async () => {
      const broker = new RedisSseBroker({ url: `${cluster.url}/2`, cluster: 'auto', keyPrefix: namespace() });
      let completed = false;
      broker.messages$.subscribe({ complete: () => (completed = true) });
      await expect(broker.connect()).rejects.toThrow('a Redis Cluster has only database 0');
      const handles = watchBrokerHandles();
      await expect(broker.close()).resolves.toBeUndefined();
      expect(completed).toBe(true);
      expect(broker.status().state).toBe('down');
      expect(await handles.stop()).toEqual({});
    });

    it("leaves nothing on the app's Cluster client when closed while its connections are being made", async () => {
      const given = new Cluster([{ host: '127.0.0.1', port: cluster.ports[0] }]);
      clients.push(given);
      await new Promise((resolve) => given.once('ready', resolve));
      const before = { ready: given.listenerCount('ready'), refresh: given.listenerCount('refresh') };
      const broker = new RedisSseBroker({ client: given, keyPrefix: `{${namespace()}}` });
      let closing: Promise<void> | undefined;
      // Closed the moment the broker's connections attach to the client (inside their making).
      const onListener = (event: string | symbol) => {
        if (event === 'refresh' && !closing) closing = broker.close();
      };
      given.on('newListener', onListener);
      await broker.connect();
      given.off('newListener', onListener);
      expect(closing).toBeDefined();
      await closing;
      expect({ ready: given.listenerCount('ready'), refresh: given.listenerCount('refresh') }).toEqual(before);
      expect(given.status).toBe('ready');
      expect(broker.status().state).toBe('down');
    });

    it("asks the cluster for a fresh slot map while the namespace's master cannot be reached (a failover may have moved it)", async () => {
      const given = new Cluster([{ host: '127.0.0.1', port: cluster.ports[0] }], { clusterRetryStrategy: () => 50 });
      clients.push(given);
      const { broker } = await connected({ client: given, keyPrefix: `{${namespace()}}` });
      await broker.subscribe('room');
      const master = cluster.ports.indexOf(await cluster.ownerOf(`${broker.keyPrefix}seq`));
      logs.clear();
      await cluster.stopNode(master);
      try {
        await logs.waitFor('error', 'No connection to Redis');
        // Refreshes asked from now on, while the subscriber retries the dead master (50 ms apart).
        let refreshes = 0;
        const onRefresh = () => void refreshes++;
        given.on('refresh', onRefresh);
        await eventually(
          async () => refreshes,
          (count) => count >= 3,
          'the slot map to be refreshed while the master is down',
        );
        given.off('refresh', onRefresh);
        expect(broker.status().state).toBe('down');
      } finally {
        await cluster.startNode(master);
      }
    }, 30_000);

    it("keeps the sample's sign-outs under the namespace's hash tag, also when made before connect() with 'auto'", async () => {
      const keyPrefix = namespace();
      const broker = new RedisSseBroker({ url: cluster.url, cluster: 'auto', keyPrefix });
      open.push(broker);
      const users = new RedisSignedOutUsers(broker);
      await broker.connect();
      await users.add('ann', 60_000);
      expect(await users.has('ann')).toBe(true);
      expect((await keysOf(`{${keyPrefix}}sample:`)).map(({ key }) => key)).toEqual([
        `{${keyPrefix}}sample:signed-out:ann`,
      ]);
    });

    it("works on the app's own Cluster client, which it never quits", async () => {
      const given = new Cluster([{ host: '127.0.0.1', port: cluster.ports[1] }]);
      clients.push(given);
      const { broker, inbox } = await connected({ client: given, keyPrefix: `{${namespace()}}` });
      await broker.subscribe('room');
      const event = await broker.publish('room', 'mine');
      await inbox.until(() => inbox.seqs('room').includes(event.seq), 'the event');
      await broker.close();
      expect(given.status).toBe('ready');
      expect(await given.get(`${broker.keyPrefix}seq`)).toBe(String(event.seq));
    });

    it('reports a gap when the master of the namespace restarts, and nothing published after recovery is lost', async () => {
      const keyPrefix = namespace();
      const a = await connected({ keyPrefix });
      const b = await connected({ keyPrefix });
      await Promise.all([a.broker.subscribe('room'), b.broker.subscribe('room')]);
      const before = await a.broker.publish('room', 'before');
      await b.inbox.until(() => b.inbox.seqs('room').includes(before.seq), 'the event before');
      const master = cluster.ports.indexOf(await cluster.ownerOf(`${a.broker.keyPrefix}seq`));
      // A namespace of another master, which the cluster stops serving too once it sees the master fail.
      let other = namespace();
      while ((await cluster.ownerOf(`{${other}}seq`)) === cluster.ports[master]) other = namespace();
      const elsewhere = await connected({ keyPrefix: other, commandTimeoutMs: 10_000 });

      logs.clear();
      await cluster.stopNode(master);
      const refused = await eventually<unknown>(
        () => a.broker.publish('room', 'lost'),
        (result) => result instanceof RedisSseUnavailableError,
        'publish to be refused',
      );
      expect((refused as RedisSseUnavailableError).getStatus()).toBe(503);
      expect(JSON.stringify((refused as RedisSseUnavailableError).getResponse())).not.toMatch(/127\.0\.0\.1/);
      expect(a.broker.status().state).toBe('down');
      // CLUSTERDOWN is a 503 too, of a publish that was not done (not a plain error, not "maybe published").
      const clusterDown = (await eventually<unknown>(
        () => elsewhere.broker.publish('room', 'refused'),
        (result) => result instanceof RedisSseUnavailableError && result.detail.includes('CLUSTERDOWN'),
        'CLUSTERDOWN on the other master',
      )) as RedisSseUnavailableError;
      expect(clusterDown.maybePublished).toBe(false);

      await cluster.startNode(master);
      for (const { inbox } of [a, b]) await inbox.until(() => inbox.gaps().length === 1, 'the gap');
      const after = await eventually(
        () => b.broker.publish('room', 'after'),
        (result) => !(result instanceof Error),
        'publish to succeed again',
      );
      for (const { broker, inbox } of [a, b]) {
        await inbox.until(() => inbox.seqs('room').includes(after.seq), 'the event after recovery');
        // The master kept nothing (no persistence): the gap is of a new epoch, whose history has what followed.
        const [gap] = inbox.gaps();
        expect(gap.after).toEqual({ epoch: after.epoch, seq: 0 });
        expect((await readAll(broker, ['room'], gap.after, 10)).payloads).toEqual(['after']);
        expect(broker.status().state).toBe('up');
      }
      // One outage each for the brokers whose master went away (the other's link stayed up).
      expect(logs.messages('error', 'No connection to Redis')).toHaveLength(2);
      expect(logs.messages('log', 'Reconnected to Redis')).toHaveLength(2);
    }, 30_000);

    it('follows the namespace when its slot moves to another master: a gap, then every event again', async () => {
      const { broker, inbox } = await connected();
      const other = await connected({ keyPrefix: broker.keyPrefix.slice(1, -1) });
      await Promise.all([broker.subscribe('room'), other.broker.subscribe('room')]);
      const before = await broker.publish('room', 'before');
      await other.inbox.until(() => other.inbox.seqs('room').includes(before.seq), 'the event before');
      const from = await cluster.ownerOf(`${broker.keyPrefix}seq`);
      const to = cluster.ports.find((port) => port !== from)!;

      logs.clear();
      await cluster.moveSlot(`${broker.keyPrefix}seq`, to);
      for (const each of [inbox, other.inbox]) await each.until(() => each.gaps().length === 1, 'the gap');
      const after = await eventually(
        () => other.broker.publish('room', 'after'),
        (result) => !(result instanceof Error),
        'publish on the new master',
      );
      for (const { broker: each, inbox: delivered } of [{ broker, inbox }, other]) {
        await delivered.until(() => delivered.seqs('room').includes(after.seq), 'the event after the move');
        // The keys moved with the slot: same epoch, the gap starts where delivery stopped.
        expect(delivered.gaps()[0].after).toEqual(before);
        expect((await readAll(each, ['room'], before, 10)).payloads).toEqual(['after']);
      }
      const shardChannels = await node(to).call('PUBSUB', 'SHARDCHANNELS', `${broker.keyPrefix}channel:*`);
      expect(shardChannels).toEqual([`${broker.keyPrefix}channel:room`]);
      // One interruption each, which says why, and one recovery, on the new master.
      const lost = logs.messages('error', 'No connection to Redis');
      expect(lost).toHaveLength(2);
      for (const line of lost) expect(line).toContain("the namespace's slot moved to another master");
      expect(logs.messages('log', `Reconnected to Redis at cluster node 127.0.0.1:${to}`)).toHaveLength(2);
    }, 30_000);

    it('says so when told it is a cluster but the node is a single server, and stays down (503)', async () => {
      logs.clear();
      const { broker } = await connected({ url: REDIS_URL, cluster: true, connectTimeoutMs: 300 });
      expect(logs.messages('error', 'says it is not a cluster node')).toHaveLength(1);
      expect(broker.status().state).toBe('down');
      await expect(broker.publish('room', 'x')).rejects.toBeInstanceOf(RedisSseUnavailableError);
      const handles = watchBrokerHandles();
      await broker.close();
      expect(await handles.stop()).toEqual({});
    });

    it("with 'auto', leaves no timer or socket behind when closed while the server has not answered yet", async () => {
      const server = await RedisServer.start();
      await server.stop();
      open.push({ close: () => server.stop() });
      const broker = new RedisSseBroker({
        url: server.url,
        cluster: 'auto',
        keyPrefix: namespace(),
        connectTimeoutMs: 100,
        redisOptions: { retryStrategy: () => 50 },
      });
      await broker.connect();
      expect(broker.status().state).toBe('down');
      const handles = watchBrokerHandles();
      await broker.close();
      expect(await handles.stop()).toEqual({});
    });

    it("with 'auto', fails to open with a clear error when the server refuses CLUSTER INFO (NOPERM): no single server taken for granted", async () => {
      const server = await RedisServer.start();
      open.push({ close: () => server.stop() });
      const admin = new Redis(server.url);
      clients.push(admin);
      await admin.call('ACL', 'SETUSER', 'nocluster', 'on', '>pw', '~*', '&*', '+@all', '-cluster');
      const broker = new RedisSseBroker({
        url: server.url.replace('redis://', 'redis://nocluster:pw@'),
        cluster: 'auto',
        keyPrefix: namespace(),
      });
      open.push(broker);
      const failed = await broker.connect().catch((error: unknown) => error as Error);
      expect(failed).toBeInstanceOf(Error);
      expect((failed as Error).message).toContain('it answered CLUSTER INFO with "NOPERM');
      expect((failed as Error).message).not.toContain('pw@');
      expect(broker.status().state).toBe('down');
    });

    it("with 'auto', starts down while the server does not answer, refuses with 503, and connects once it does", async () => {
      const server = await RedisServer.start();
      await server.stop();
      open.push({ close: () => server.stop() });
      logs.clear();
      const broker = new RedisSseBroker({
        url: server.url,
        cluster: 'auto',
        keyPrefix: namespace(),
        connectTimeoutMs: 200,
        redisOptions: { retryStrategy: () => 50 },
      });
      open.push(broker);
      const inbox = new Inbox(broker);
      await broker.connect();
      expect(broker.status().state).toBe('down');
      const refused = await broker.publish('room', 'early').catch((error: unknown) => error);
      expect(refused).toBeInstanceOf(RedisSseUnavailableError);
      expect((refused as RedisSseUnavailableError).maybePublished).toBe(false);
      await expect(broker.subscribe('room')).rejects.toBeInstanceOf(RedisSseUnavailableError);

      await server.start();
      await logs.waitFor('log', 'Reconnected to Redis');
      await broker.subscribe('room');
      const event = await broker.publish('room', 'now');
      await inbox.until(() => inbox.seqs('room').includes(event.seq), 'the event');
      expect(broker.status().state).toBe('up');
      expect(logs.messages('error', 'No connection to Redis')).toHaveLength(1);
      expect(logs.messages('log', 'Reconnected to Redis')).toHaveLength(1);
    });
  });
});
