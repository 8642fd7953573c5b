import { Logger } from '@nestjs/common';
import pg from 'pg';
import { describeBrokerContract, type SseBrokerMessage } from 'nestjs-event-stream/broker';
import {
  PostgresSseBroker,
  PostgresSseScheduleLock,
  PostgresSseUnavailableError,
  postgresSseSchemaSql,
  type PostgresSseBrokerOptions,
} from 'nestjs-event-stream/postgres';
import { CaptureLogger } from '../utils/capture-logger.js';
import { deleteNamespaces, POSTGRES_URL, randomNamespace } from '../utils/postgres.js';
import { eventually, Inbox, readAll } from './broker-inbox.js';

const prefix = randomNamespace('broker');
let namespaces = 0;
/** A fresh namespace under this file's prefix. */
const namespace = () => `${prefix}_${++namespaces}`;

describeBrokerContract(
  'PostgresSseBroker',
  (options) => new PostgresSseBroker({ url: POSTGRES_URL, namespace: namespace(), history: { ...options } }),
);

type ChannelMessage = Extract<SseBrokerMessage, { type: 'channel' }>;

describe('PostgresSseBroker', () => {
  const open: PostgresSseBroker[] = [];
  const logs = new CaptureLogger();
  let admin: pg.Client;

  beforeAll(async () => {
    Logger.overrideLogger(logs);
    admin = new pg.Client({ connectionString: POSTGRES_URL });
    await admin.connect();
  });

  afterEach(async () => {
    await Promise.all(open.splice(0).map((broker) => broker.close()));
  });

  afterAll(async () => {
    await admin.end();
    await deleteNamespaces(POSTGRES_URL, prefix);
  });

  async function connected(
    options: PostgresSseBrokerOptions = {},
  ): Promise<{ broker: PostgresSseBroker; inbox: Inbox }> {
    const broker = new PostgresSseBroker({
      ...(options.pool ? {} : { url: POSTGRES_URL }),
      namespace: namespace(),
      ...options,
    });
    open.push(broker);
    const inbox = new Inbox(broker);
    await broker.connect();
    return { broker, inbox };
  }

  /** Two brokers (two instances) on one namespace. */
  async function pair(options: PostgresSseBrokerOptions = {}) {
    const shared = { namespace: namespace(), ...options };
    return [await connected(shared), await connected(shared)] as const;
  }

  /** The connections of `broker` that PostgreSQL has (its pool's and its LISTEN connection). */
  async function connectionsOf(broker: PostgresSseBroker): Promise<string[]> {
    const { rows } = await admin.query<{ application_name: string }>(
      'SELECT application_name FROM pg_stat_activity WHERE application_name LIKE $1',
      [`nestjs-event-stream%${broker.instanceId}`],
    );
    return rows.map((row) => row.application_name);
  }

  describe('options', () => {
    const invalid = (options: unknown, text: string) => {
      const make = () => new PostgresSseBroker(options as PostgresSseBrokerOptions);
      expect(make).toThrow(TypeError);
      expect(make).toThrow(text);
    };

    it('refuses each bad option with a TypeError naming it and what is expected', () => {
      invalid({ url: POSTGRES_URL, pool: new pg.Pool() }, 'either `url`');
      invalid({ url: '' }, 'option "PostgresSseBroker url" must be a postgres:// connection string');
      invalid({ url: 42 }, 'option "PostgresSseBroker url"');
      invalid({ pool: {} }, 'option "PostgresSseBroker pool" must be a pg Pool');
      for (const bad of ['', 'Chat', 'a-b', 'x'.repeat(41), 7]) {
        invalid({ namespace: bad }, 'option "PostgresSseBroker namespace" must be 1 to 40 characters of [a-z0-9_]');
      }
      for (const bad of ['', 'Public', '1st', 'a"b', 'x'.repeat(64)])
        invalid({ schema: bad }, 'PostgresSseBroker schema');
      invalid({ history: { maxEvents: -1 } }, 'option "PostgresSseBroker history.maxEvents" must be an integer >= 0');
      invalid({ history: { maxChannels: 0 } }, 'PostgresSseBroker history.maxChannels');
      invalid({ history: { maxChannelBytes: 1.5 } }, 'PostgresSseBroker history.maxChannelBytes');
      invalid({ history: { maxBytes: '1' } }, 'PostgresSseBroker history.maxBytes');
      invalid({ history: { maxAgeMs: -5 } }, 'PostgresSseBroker history.maxAgeMs');
      invalid({ history: 'big' }, 'option "PostgresSseBroker history" must be an object');
      invalid({ idempotencyTtlMs: 0 }, 'PostgresSseBroker idempotencyTtlMs');
      invalid({ maxIdempotencyKeys: 0 }, 'PostgresSseBroker maxIdempotencyKeys');
      invalid({ commandTimeoutMs: 0 }, 'PostgresSseBroker commandTimeoutMs');
      invalid({ connectTimeoutMs: -1 }, 'PostgresSseBroker connectTimeoutMs');
      invalid({ reconnectDelayMs: 0 }, 'PostgresSseBroker reconnectDelayMs');
      invalid(null, 'option "PostgresSseBroker options" must be an object');
    });

    it('refuses a schedule lock on anything but a broker, and bad lock names and ttls', async () => {
      expect(() => new PostgresSseScheduleLock({} as PostgresSseBroker)).toThrow(
        "new PostgresSseScheduleLock(broker) takes the app's PostgresSseBroker, got a plain object",
      );
      const lock = new PostgresSseScheduleLock(new PostgresSseBroker({ url: POSTGRES_URL }));
      await expect(lock.acquire('job', 'x'.repeat(600), 1000)).rejects.toThrow(TypeError);
      await expect(lock.acquire('job\n', 'tick', 1000)).rejects.toThrow('without control characters');
      await expect(lock.acquire('job', 'tick', 0)).rejects.toThrow('ttlMs must be an integer >= 1');
    });

    it('refuses payloads PostgreSQL cannot store, bad channels and bad options of publish with a TypeError', async () => {
      const { broker } = await connected();
      await expect(broker.publish('a', 'nul \u0000 inside')).rejects.toThrow('without U+0000');
      await expect(broker.publish('a', 42 as unknown as string)).rejects.toThrow(TypeError);
      await expect(broker.publish('bad channel', 'x')).rejects.toThrow('Invalid SSE channel name');
      await expect(broker.publish('a', 'x', { except: 'line\nbreak' })).rejects.toThrow('"except" must be');
      await expect(broker.publish('a', 'x', null as never)).rejects.toThrow('the options must be an object');
      await expect(broker.send({ type: 'broadcast' } as never)).rejects.toThrow(TypeError);
      await expect(broker.read(['a'], { epoch: 'A!', seq: 0 }, 10)).rejects.toThrow('the position must be');
      await expect(broker.read(['a'], await broker.head(), 0)).rejects.toThrow('limit must be an integer from 1');
    });

    it('says what to do when used before connect() or after close()', async () => {
      const broker = new PostgresSseBroker({ url: POSTGRES_URL, namespace: namespace() });
      await expect(broker.publish('a', 'x')).rejects.toThrow('cannot publish to channel "a" before connect()');
      expect(broker.status()).toMatchObject({ state: 'down', detail: expect.stringContaining('Not connected yet') });
      await broker.close();
      await expect(broker.head()).rejects.toThrow('it was closed');
      expect(broker.status()).toMatchObject({ state: 'down', detail: expect.stringContaining('was closed') });
    });
  });

  describe('across instances', () => {
    it('delivers what either instance publishes to both, exactly once each, in seq order', async () => {
      const [a, b] = await pair();
      await a.broker.subscribe('room');
      await b.broker.subscribe('room');
      const published = await Promise.all(
        Array.from({ length: 60 }, (_, i) => (i % 2 ? a : b).broker.publish('room', `${i}`)),
      );
      const seqs = published.map((position) => position.seq).sort((x, y) => x - y);
      for (const { inbox } of [a, b]) {
        await inbox.until(() => inbox.channel('room').length >= 60, '60 events');
        await inbox.settle(a.broker, 'room');
        expect(inbox.seqs('room').slice(0, 60)).toEqual(seqs);
      }
    });

    it('delivers payloads larger than a NOTIFY carries, read back from the spill table, intact and in order', async () => {
      const [a, b] = await pair();
      await b.broker.subscribe('big');
      const payloads = ['small before', 'x'.repeat(20_000), 'é'.repeat(4000), `"\\\n`.repeat(3000), 'small after'];
      const positions = [];
      for (const payload of payloads) positions.push(await a.broker.publish('big', payload));
      const broadcast = `data: ${'b'.repeat(12_000)}\n\n`;
      await a.broker.send({ type: 'broadcast', payload: broadcast, except: 'c-1' });
      await b.inbox.until(() => b.inbox.messages.some((m) => m.type === 'broadcast'), 'the large broadcast');
      expect(b.inbox.channel('big').map((m) => m.payload)).toEqual(payloads);
      expect(b.inbox.seqs('big')).toEqual(positions.map((p) => p.seq));
      expect(b.inbox.messages.at(-1)).toEqual({ type: 'broadcast', payload: broadcast, except: 'c-1' });
      const spilled = await admin.query('SELECT count(*)::int AS n FROM sse_spill WHERE namespace = $1', [
        b.broker.namespace,
      ]);
      // The 20 kB payload, the 8 kB one of 2-byte characters, the one that JSON would escape, and the broadcast.
      expect(spilled.rows[0].n).toBe(4);
      expect((await readAll(b.broker, ['big'], { ...positions[0], seq: positions[0].seq - 1 }, 10)).payloads).toEqual(
        payloads,
      );
    });

    it('keeps small events behind a spilled one, in seq order and once each, while two other instances keep publishing', async () => {
      const [a, b] = await pair();
      const c = await connected({ namespace: a.broker.namespace });
      await b.broker.subscribe('mix');
      const payloadOf = (i: number) => (i % 7 === 0 ? `${'L'.repeat(9000)}${i}` : `s${i}`);
      const positions = await Promise.all(
        Array.from({ length: 40 }, (_, i) => (i % 2 ? a : c).broker.publish('mix', payloadOf(i))),
      );
      await b.inbox.until(() => b.inbox.channel('mix').length === 40, 'every event');
      const seqs = b.inbox.seqs('mix');
      expect(seqs).toEqual([...seqs].sort((x, y) => x - y));
      expect(seqs).toEqual(positions.map((p) => p.seq).sort((x, y) => x - y));
      const bySeq = new Map(positions.map((p, i) => [p.seq, payloadOf(i)]));
      expect(b.inbox.channel('mix').map((m) => m.payload)).toEqual(seqs.map((seq) => bySeq.get(seq)));
      expect(b.inbox.gaps()).toEqual([]);
    });

    it('remembers an idempotency key across instances: a retry on B resolves to what A published', async () => {
      const [a, b] = await pair();
      const first = await a.broker.publish('orders', 'order 7', { idempotencyKey: 'order-7' });
      expect(await b.broker.publish('orders', 'order 7', { idempotencyKey: 'order-7' })).toEqual(first);
      const page = await b.broker.read(['orders'], { ...first, seq: first.seq - 1 }, 10);
      expect(page.events.map((e) => e.seq)).toEqual([first.seq]);
    });

    it('grants each tick of a schedule lock to one instance only, and again once its ttl is over', async () => {
      const [a, b] = await pair();
      const locks = [new PostgresSseScheduleLock(a.broker), new PostgresSseScheduleLock(b.broker)];
      for (let tick = 0; tick < 10; tick++) {
        const taken = await Promise.all([...locks, ...locks].map((lock) => lock.acquire('job', `t${tick}`, 60_000)));
        expect(taken.filter(Boolean)).toHaveLength(1);
      }
      expect(await locks[0].acquire('short', 't', 1)).toBe(true);
      await eventually(
        () => locks[1].acquire('short', 't', 60_000),
        (taken) => taken === true,
        'the claim to expire',
      );
      expect(await locks[0].acquire('short', 't', 60_000)).toBe(false);
    });
  });

  describe('publishIn (outbox)', () => {
    it("stores and delivers an event published in the app's transaction once it commits, not before", async () => {
      const [a, b] = await pair();
      await b.broker.subscribe('orders');
      const client = new pg.Client({ connectionString: POSTGRES_URL });
      await client.connect();
      try {
        const before = await b.broker.head();
        await client.query('BEGIN');
        const position = await a.broker.publishIn(client, 'orders', 'order 1', { except: 'c-9' });
        expect(position).toEqual({ epoch: before.epoch, seq: before.seq + 1 });
        // Not committed: not the head yet, and head() covers what was delivered, which is not it.
        expect(await b.broker.head()).toEqual(before);
        expect(b.inbox.channel('orders')).toEqual([]);
        expect((await b.broker.read(['orders'], before, 10)).events).toEqual([]);
        await client.query('COMMIT');
        await b.inbox.until(() => b.inbox.channel('orders').length === 1, 'the committed event');
        expect(b.inbox.channel('orders')[0]).toEqual({
          type: 'channel',
          channel: 'orders',
          ...position,
          payload: 'order 1',
          except: 'c-9',
        });
        expect((await b.broker.read(['orders'], before, 10)).events.map((e) => e.payload)).toEqual(['order 1']);
      } finally {
        await client.end();
      }
    });

    it('neither stores nor delivers an event whose transaction rolls back, and leaves no hole: the next publish gets its seq', async () => {
      const [a, b] = await pair();
      await b.broker.subscribe('orders');
      const client = new pg.Client({ connectionString: POSTGRES_URL });
      await client.connect();
      try {
        const before = await a.broker.publish('orders', 'before');
        await client.query('BEGIN');
        const rolledBack = await a.broker.publishIn(client, 'orders', 'x'.repeat(10_000), { idempotencyKey: 'k' });
        await client.query('ROLLBACK');
        const next = await a.broker.publish('orders', 'after', { idempotencyKey: 'k' });
        expect(next).toEqual(rolledBack);
        await b.inbox.until(() => b.inbox.seqs('orders').includes(next.seq), 'the next event');
        expect(b.inbox.channel('orders').map((m: ChannelMessage) => m.payload)).toEqual(['before', 'after']);
        // A reader that saw 'before' missed nothing: no reset, and no event but the next.
        const page = await b.broker.read(['orders'], before, 10);
        expect(page.reset).toBeUndefined();
        expect(page.events.map((e) => e.payload)).toEqual(['after']);
      } finally {
        await client.end();
      }
    });

    it("holds the namespace's publishes behind an open transaction that published, until it ends", async () => {
      const { broker } = await connected();
      const client = new pg.Client({ connectionString: POSTGRES_URL });
      await client.connect();
      try {
        await client.query('BEGIN');
        const inTransaction = await broker.publishIn(client, 'a', 'first');
        let settled = false;
        const waiting = broker.publish('b', 'second').then((position) => {
          settled = true;
          return position;
        });
        // The second publish is queued on the row lock: PostgreSQL shows it waiting for it.
        await eventually(
          async () =>
            (
              await admin.query(
                "SELECT count(*)::int AS n FROM pg_stat_activity WHERE wait_event_type = 'Lock' AND application_name = $1",
                [`nestjs-event-stream ${broker.instanceId}`],
              )
            ).rows[0].n,
          (n) => n === 1,
          'the publish to wait for the lock',
        );
        expect(settled).toBe(false);
        await client.query('COMMIT');
        expect((await waiting).seq).toBe(inTransaction.seq + 1);
      } finally {
        await client.end();
      }
    });

    it('publishes at once on a client with no transaction open, and says once that publish() is meant for that', async () => {
      const { broker } = await connected();
      logs.clear();
      const first = await broker.publishIn(admin, 'plain', 'one');
      await broker.publishIn(admin, 'plain', 'two');
      expect((await broker.read(['plain'], { ...first, seq: first.seq - 1 }, 10)).events.map((e) => e.payload)).toEqual(
        ['one', 'two'],
      );
      expect(logs.messages('warn', 'publishIn() ran on a client with no transaction open')).toHaveLength(1);
    });

    it("makes a new namespace's row before publishing in a transaction when it has not listened yet: head reads do not wait for that transaction", async () => {
      const schema = `${prefix}_first`;
      const holder = new pg.Client({ connectionString: POSTGRES_URL });
      const client = new pg.Client({ connectionString: POSTGRES_URL });
      await Promise.all([holder.connect(), client.connect()]);
      try {
        await (await connected({ schema })).broker.close();
        // An older schema version, and its lock held: the first LISTEN of the next broker waits for it.
        await admin.query(
          `CREATE OR REPLACE FUNCTION "${schema}".sse_schema_version() RETURNS integer LANGUAGE sql IMMUTABLE AS $fn$SELECT 1$fn$`,
        );
        await holder.query('BEGIN');
        await holder.query("SELECT pg_advisory_xact_lock(hashtext('nestjs-event-stream schema'), hashtext($1))", [
          schema,
        ]);
        const { broker } = await connected({ schema, connectTimeoutMs: 200 });
        expect(broker.status().state).toBe('down');
        await client.query('BEGIN');
        await broker.publishIn(client, 'orders', 'in a long transaction');
        // The head of a namespace whose row is not committed yet would wait for that transaction to end.
        await admin.query('SET statement_timeout = 1000');
        const head = await admin
          .query<{ r_seq: string }>(`SELECT r_seq FROM "${schema}".sse_head_v1($1, 'e', NULL)`, [broker.namespace])
          .catch((error: unknown) => error);
        expect(head).toEqual(expect.objectContaining({ rows: [{ r_seq: '0' }] }));
        await client.query('COMMIT');
      } finally {
        await admin.query('RESET statement_timeout');
        await Promise.all([holder.end(), client.end()]);
        await Promise.all(open.splice(0).map((broker) => broker.close()));
        await admin.query(`DROP SCHEMA IF EXISTS "${schema}" CASCADE`);
      }
    });

    it('refuses what is not a pg client, and a broker not connected', async () => {
      const { broker } = await connected();
      await expect(broker.publishIn({} as pg.Client, 'a', 'x')).rejects.toThrow('publishIn() takes a pg client');
      const idle = new PostgresSseBroker({ url: POSTGRES_URL });
      await expect(idle.publishIn(admin, 'a', 'x')).rejects.toThrow('before connect()');
    });
  });

  describe('history', () => {
    it("does not replay events older than maxAgeMs, and says 'expired' for a resume past them", async () => {
      const { broker } = await connected({ history: { maxAgeMs: 200 } });
      const first = await broker.publish('aging', 'old');
      const from = { ...first, seq: first.seq - 1 };
      await eventually(
        async () => (await broker.read(['aging'], from, 10)).reset,
        (reset) => reset === 'expired',
        'the event to age',
      );
      const fresh = await broker.publish('aging', 'fresh');
      const page = await broker.read(['aging'], from, 10);
      expect(page.reset).toBe('expired');
      expect(page.events.map((e) => e.seq)).toEqual([fresh.seq]);
      expect((await broker.read(['aging'], first, 10)).reset).toBeUndefined();
    });

    it('remembers at most maxIdempotencyKeys keys: past it, the oldest is forgotten', async () => {
      const { broker } = await connected({ maxIdempotencyKeys: 3 });
      const positions = [];
      for (const key of ['k1', 'k2', 'k3', 'k4'])
        positions.push(await broker.publish('keys', key, { idempotencyKey: key }));
      expect(await broker.publish('keys', 'k4', { idempotencyKey: 'k4' })).toEqual(positions[3]);
      expect(await broker.publish('keys', 'k2', { idempotencyKey: 'k2' })).toEqual(positions[1]);
      const again = await broker.publish('keys', 'k1', { idempotencyKey: 'k1' });
      expect(again.seq).toBeGreaterThan(positions[3].seq);
      const { rows } = await admin.query('SELECT count(*)::int AS n FROM sse_idempotency WHERE namespace = $1', [
        broker.namespace,
      ]);
      expect(rows[0].n).toBe(3);
    });

    it('keeps publishing when its channel counts drifted (rows deleted by hand): it counts again, and keeps the channel published to', async () => {
      const { broker } = await connected({ history: { maxChannels: 2 } });
      const a = await broker.publish('a', 'a');
      await broker.publish('b', 'b');
      await admin.query('UPDATE sse_namespaces SET channels = 50 WHERE namespace = $1', [broker.namespace]);
      const c = await broker.publish('c', 'c');
      expect((await broker.read(['c'], a, 10)).events.map((e) => e.payload)).toEqual(['c']);
      const counts = async () =>
        (
          await admin.query<{ kept: number; real: number }>(
            `SELECT n.channels AS kept, (SELECT count(*)::int FROM sse_channels c WHERE c.namespace = n.namespace) AS real
             FROM sse_namespaces n WHERE n.namespace = $1`,
            [broker.namespace],
          )
        ).rows[0];
      const after = await counts();
      expect(after.kept).toBe(after.real);
      const d = await broker.publish('d', 'd');
      expect(d.seq).toBe(c.seq + 1);
      expect(await counts()).toEqual({ kept: 2, real: 2 });
    });

    it('keeps nothing with maxEvents 0, and still delivers live, large payloads included', async () => {
      const { broker, inbox } = await connected({ history: { maxEvents: 0 } });
      await broker.subscribe('live');
      const small = await broker.publish('live', 'small');
      const large = await broker.publish('live', 'L'.repeat(9000));
      await inbox.until(() => inbox.channel('live').length === 2, 'both events');
      expect(inbox.channel('live')[1].payload).toHaveLength(9000);
      expect(await broker.read(['live'], small, 10)).toEqual({
        events: [],
        more: false,
        reset: 'expired',
        head: large,
      });
      const { rows } = await admin.query('SELECT count(*)::int AS n FROM sse_events WHERE namespace = $1', [
        broker.namespace,
      ]);
      expect(rows[0].n).toBe(0);
    });
  });

  describe('schema and connections', () => {
    it('creates its schema once when several instances connect at once to a fresh one, and serves from it', async () => {
      const schema = `${prefix}_schema`;
      try {
        const shared = { schema, namespace: namespace() };
        const brokers = await Promise.all(Array.from({ length: 4 }, () => connected(shared)));
        await brokers[1].broker.subscribe('a');
        const position = await brokers[0].broker.publish('a', 'in its own schema');
        await brokers[1].inbox.until(() => brokers[1].inbox.seqs('a').includes(position.seq), 'the event');
        const { rows } = await admin.query('SELECT count(*)::int AS n FROM pg_tables WHERE schemaname = $1', [schema]);
        expect(rows[0].n).toBe(6);
      } finally {
        await Promise.all(open.splice(0).map((broker) => broker.close()));
        await admin.query(`DROP SCHEMA IF EXISTS "${schema}" CASCADE`);
      }
    });

    it('refuses a join until it has listened once (a first setup that outlasts connectTimeoutMs), then joins and delivers', async () => {
      const schema = `${prefix}_slow`;
      // Another session holds the lock the DDL is created under: the first LISTEN waits behind it.
      const holder = new pg.Client({ connectionString: POSTGRES_URL });
      await holder.connect();
      try {
        await holder.query('BEGIN');
        await holder.query("SELECT pg_advisory_xact_lock(hashtext('nestjs-event-stream schema'), hashtext($1))", [
          schema,
        ]);
        const { broker, inbox } = await connected({ schema, connectTimeoutMs: 200, commandTimeoutMs: 500 });
        expect(broker.status().state).toBe('down');
        const started = Date.now();
        await expect(broker.subscribe('a')).rejects.toBeInstanceOf(PostgresSseUnavailableError);
        expect(Date.now() - started).toBeGreaterThanOrEqual(450);

        const joining = broker.subscribe('a');
        await holder.query('COMMIT');
        await joining;
        expect(broker.status().state).toBe('up');
        const position = await broker.publish('a', 'after the first LISTEN');
        await inbox.until(() => inbox.seqs('a').includes(position.seq), 'the event');
        expect(inbox.gaps()).toEqual([]);
      } finally {
        await holder.end();
        await Promise.all(open.splice(0).map((broker) => broker.close()));
        await admin.query(`DROP SCHEMA IF EXISTS "${schema}" CASCADE`);
      }
    });

    it('leaves a schema of a newer version alone (a rolling deploy), and brings an older one up to its own', async () => {
      const schema = `${prefix}_versions`;
      const version = async () =>
        (await admin.query<{ v: number }>(`SELECT "${schema}".sse_schema_version() AS v`)).rows[0].v;
      const setVersion = (v: number) =>
        admin.query(
          `CREATE OR REPLACE FUNCTION "${schema}".sse_schema_version() RETURNS integer LANGUAGE sql IMMUTABLE AS $fn$SELECT ${v}$fn$`,
        );
      try {
        await (await connected({ schema })).broker.close();
        const current = await version();
        await setVersion(current + 1);
        const { broker, inbox } = await connected({ schema });
        expect(await version()).toBe(current + 1);
        await broker.subscribe('a');
        const position = await broker.publish('a', 'on a newer schema');
        await inbox.until(() => inbox.seqs('a').includes(position.seq), 'the event');
        await setVersion(current - 1);
        await (await connected({ schema })).broker.close();
        expect(await version()).toBe(current);
      } finally {
        await Promise.all(open.splice(0).map((broker) => broker.close()));
        await admin.query(`DROP SCHEMA IF EXISTS "${schema}" CASCADE`);
      }
    });

    it('gives its DDL to apply by hand, idempotent', async () => {
      const sql = postgresSseSchemaSql();
      expect(sql).toContain('CREATE TABLE IF NOT EXISTS "public".sse_events');
      expect(sql).toContain('CREATE OR REPLACE FUNCTION "public".sse_publish_v1');
      await admin.query(sql);
      expect(() => postgresSseSchemaSql('No Such"Schema')).toThrow(TypeError);
    });

    it("runs its commands on the app's pool, never ends it, and closes its own LISTEN connection", async () => {
      const pool = new pg.Pool({ connectionString: POSTGRES_URL, max: 2 });
      try {
        const { broker, inbox } = await connected({ pool });
        await broker.subscribe('a');
        const position = await broker.publish('a', 'through your pool');
        await inbox.until(() => inbox.seqs('a').includes(position.seq), 'the event');
        expect(await connectionsOf(broker)).toEqual([`nestjs-event-stream listener ${broker.instanceId}`]);
        await broker.close();
        await eventually(
          () => connectionsOf(broker),
          (names) => names.length === 0,
          'its LISTEN connection to end',
        );
        expect((await pool.query('SELECT 1 AS one')).rows).toEqual([{ one: 1 }]);
      } finally {
        await pool.end();
      }
    });

    it('ends the connections it opened on close, and completes messages$', async () => {
      const { broker, inbox } = await connected();
      await broker.publish('a', 'x');
      expect((await connectionsOf(broker)).sort()).toEqual(
        [`nestjs-event-stream ${broker.instanceId}`, `nestjs-event-stream listener ${broker.instanceId}`].sort(),
      );
      await broker.close();
      expect(inbox.completed).toBe(true);
      await eventually(
        () => connectionsOf(broker),
        (names) => names.length === 0,
        'its connections to end',
      );
    });

    it('notifies on a channel of its namespace that psql can LISTEN to', async () => {
      const { broker } = await connected();
      expect(broker.notifyChannel).toMatch(/^sse_[0-9a-f]{16}$/);
      const watcher = new pg.Client({ connectionString: POSTGRES_URL });
      await watcher.connect();
      try {
        const seen = new Promise<string>((resolve) => watcher.once('notification', (n) => resolve(n.payload ?? '')));
        await watcher.query(`LISTEN "${broker.notifyChannel}"`);
        const position = await broker.publish('room:1', 'hello', { except: 'c-1' });
        expect(await seen).toBe(`c\n${position.epoch}\n${position.seq}\nroom:1\nc-1\nhello`);
      } finally {
        await watcher.end();
      }
    });
  });
});
