import { Logger } from '@nestjs/common';
import pg from 'pg';
import {
  PostgresSseBroker,
  PostgresSseUnavailableError,
  type PostgresSseBrokerOptions,
} from 'nestjs-event-stream/postgres';
import { CaptureLogger } from '../utils/capture-logger.js';
import { watchHandles } from '../utils/handles.js';
import { PostgresServer, randomNamespace } from '../utils/postgres.js';
import { eventually, Inbox, readAll } from './broker-inbox.js';

/** What a call rejected with (or `undefined` if it resolved), and how long it took. */
async function outcome(run: () => Promise<unknown>): Promise<{ error: unknown; ms: number }> {
  const started = Date.now();
  try {
    await run();
    return { error: undefined, ms: Date.now() - started };
  } catch (error) {
    return { error, ms: Date.now() - started };
  }
}

/** Outages and reconnections, on a private PostgreSQL server that the tests stop, restart, pause and cut connections of. */
describe('PostgresSseBroker when the link to PostgreSQL drops', () => {
  const open: PostgresSseBroker[] = [];
  const logs = new CaptureLogger();
  let server: PostgresServer;

  beforeAll(async () => {
    Logger.overrideLogger(logs);
    server = await PostgresServer.start();
  });

  afterEach(async () => {
    await Promise.all(open.splice(0).map((broker) => broker.close()));
    // A test that failed half-way must not leave the next one without a server.
    await server.start().catch(() => undefined);
    server.resume();
  });

  afterAll(() => server.destroy());

  async function connected(options: PostgresSseBrokerOptions): Promise<{ broker: PostgresSseBroker; inbox: Inbox }> {
    const broker = new PostgresSseBroker({ url: server.url, reconnectDelayMs: 50, commandTimeoutMs: 1000, ...options });
    open.push(broker);
    const inbox = new Inbox(broker);
    await broker.connect();
    return { broker, inbox };
  }

  async function admin<T>(run: (client: pg.Client) => Promise<T>): Promise<T> {
    const client = new pg.Client({ connectionString: server.url });
    await client.connect();
    try {
      return await run(client);
    } finally {
      await client.end();
    }
  }

  const isDown = (broker: PostgresSseBroker) => async () => broker.status().state;

  it('is down at once when PostgreSQL goes, refuses with a 503 at once, logs once each way, and after a restart reports a gap from which history has what was missed', async () => {
    const namespace = randomNamespace('outage');
    const listener = await connected({ namespace });
    const publisher = await connected({ namespace });
    await listener.broker.subscribe('live');
    const first = await publisher.broker.publish('live', 'before');
    await listener.inbox.until(() => listener.inbox.seqs('live').includes(first.seq), 'the first event');

    logs.clear();
    await server.stop();
    for (const { broker } of [listener, publisher]) {
      await eventually(isDown(broker), (state) => state === 'down', 'the broker to be down');
      expect(broker.status().detail).toMatch(/^No connection to PostgreSQL at 127\.0\.0\.1:\d+\/postgres \(.+\)/);
    }
    // A pooled connection that died with the server may still be handed out once: a publish sent on it
    // cannot tell whether the server ran it, and says so. Those after it are refused before anything is sent.
    await eventually<unknown>(
      () => publisher.broker.publish('live', 'lost'),
      (result) => result instanceof PostgresSseUnavailableError && !result.maybePublished,
      'a publish refused before it was sent',
    );
    const refused = await outcome(() => publisher.broker.publish('live', 'lost'));
    expect(refused.ms).toBeLessThan(100);
    const error = refused.error as PostgresSseUnavailableError;
    expect(error).toBeInstanceOf(PostgresSseUnavailableError);
    expect(error.name).toBe('PostgresSseUnavailableError');
    expect(error.getStatus()).toBe(503);
    expect(error.maybePublished).toBe(false);
    // What an HTTP client is told names no server; the details, for logs, do.
    expect(error.message).toBe('Service temporarily unavailable: nothing was sent. Retry in 1 second.');
    expect(error.detail).toMatch(
      /^PostgresSseBroker: PostgreSQL at 127\.0\.0\.1:\d+\/postgres is unavailable \(.+\); could not publish to channel "live"\./,
    );
    for (const call of [
      () => listener.broker.read(['live'], first, 10),
      () => listener.broker.head(),
      () => listener.broker.subscribe('other'),
      () => publisher.broker.send({ type: 'broadcast', payload: 'x' }),
    ]) {
      const { error: other, ms } = await outcome(call);
      expect(other).toBeInstanceOf(PostgresSseUnavailableError);
      expect(ms).toBeLessThan(100);
    }

    await server.start();
    // The first publish that succeeds may beat the listener's reconnection: the catch-up from the gap must not lose it.
    const recovered = await eventually(
      () => publisher.broker.publish('live', 'after'),
      (position) => typeof (position as { seq?: unknown }).seq === 'number',
      'publish to succeed again',
    );
    // The data survived the restart: the same epoch, and seqs go on.
    expect(recovered.epoch).toBe(first.epoch);
    expect(recovered.seq).toBe(first.seq + 1);
    await listener.inbox.until(() => listener.inbox.gaps().length === 1, 'the gap');
    expect(listener.inbox.gaps()[0].after).toEqual(first);
    const fromHistory = await readAll(listener.broker, ['live'], first, 100);
    const live = listener.inbox.seqs('live').filter((seq) => seq !== first.seq);
    expect(new Set([...fromHistory.seqs, ...live])).toEqual(new Set([recovered.seq]));
    const third = await publisher.broker.publish('live', 'later');
    await listener.inbox.until(() => listener.inbox.seqs('live').includes(third.seq), 'an event after recovery');
    const gapAt = listener.inbox.messages.findIndex((m) => m.type === 'gap');
    expect(gapAt).toBeLessThan(listener.inbox.messages.findIndex((m) => m.type === 'channel' && m.seq === third.seq));
    expect(listener.broker.status().state).toBe('up');

    await eventually(
      async () => logs.messages('log', 'Reconnected to PostgreSQL').length,
      (n) => n === 2,
      'both to reconnect',
    );
    expect(logs.messages('warn', 'No connection to PostgreSQL')).toHaveLength(2);
    // Besides, the details of the refused calls: once per reason, not once per call.
    const refusals = logs.messages('warn', 'are answered 503');
    expect(new Set(refusals).size).toBe(refusals.length);
    expect(logs.messages('error')).toEqual([]);
  });

  it('reports a gap when only its LISTEN connection was cut, and what was published meanwhile is read from history', async () => {
    const namespace = randomNamespace('cut');
    const listener = await connected({ namespace, reconnectDelayMs: 500 });
    const publisher = await connected({ namespace });
    await listener.broker.subscribe('room');
    const first = await publisher.broker.publish('room', 'before');
    await listener.inbox.until(() => listener.inbox.seqs('room').includes(first.seq), 'the first event');

    logs.clear();
    const cut = await admin((client) =>
      client.query('SELECT pg_terminate_backend(pid) FROM pg_stat_activity WHERE application_name = $1', [
        `nestjs-event-stream listener ${listener.broker.instanceId}`,
      ]),
    );
    expect(cut.rowCount).toBe(1);
    await eventually(isDown(listener.broker), (state) => state === 'down', 'the listener to be down');
    // The other instance is up: its publish is stored, and NOTIFYd to no one that listens here.
    const missed = await publisher.broker.publish('room', 'published while the listener is away');
    const { error } = await outcome(() => listener.broker.head());
    expect(error).toBeInstanceOf(PostgresSseUnavailableError);

    await listener.inbox.until(() => listener.inbox.gaps().length === 1, 'the gap');
    expect(listener.inbox.gaps()).toEqual([{ type: 'gap', after: first }]);
    expect((await readAll(listener.broker, ['room'], first, 10)).seqs).toEqual([missed.seq]);
    expect(await listener.broker.head()).toEqual(missed);
    expect(listener.broker.status().state).toBe('up');
    expect(logs.messages('warn', 'No connection to PostgreSQL')).toHaveLength(1);
    expect(logs.messages('log', 'Reconnected to PostgreSQL')).toHaveLength(1);
  });

  it('takes a LISTEN connection that stops answering its heartbeat for lost: it connects again and reports a gap', async () => {
    const namespace = randomNamespace('deaf');
    const listener = await connected({ namespace, commandTimeoutMs: 300 });
    const publisher = await connected({ namespace });
    await listener.broker.subscribe('room');
    const first = await publisher.broker.publish('room', 'before');
    await listener.inbox.until(() => listener.inbox.seqs('room').includes(first.seq), 'the first event');
    const { rows } = await admin((client) =>
      client.query<{ pid: number }>('SELECT pid FROM pg_stat_activity WHERE application_name = $1', [
        `nestjs-event-stream listener ${listener.broker.instanceId}`,
      ]),
    );
    logs.clear();
    // Its socket stays open and says nothing: only the heartbeat can tell.
    server.pauseBackend(rows[0].pid);
    try {
      const missed = await publisher.broker.publish('room', 'published to a deaf listener');
      await listener.inbox.until(() => listener.inbox.gaps().length === 1, 'the gap');
      expect(listener.inbox.gaps()).toEqual([{ type: 'gap', after: first }]);
      expect((await readAll(listener.broker, ['room'], first, 10)).seqs).toEqual([missed.seq]);
      expect(logs.messages('warn', 'No connection to PostgreSQL')).toEqual([
        expect.stringContaining('(no answer within 300 ms)'),
      ]);
      await eventually(isDown(listener.broker), (state) => state === 'up', 'the listener to be up');
    } finally {
      server.resumeBackend(rows[0].pid);
    }
  });

  it('times out calls while PostgreSQL stalls: a publish may have been done (and was, once it answers), and the broker is down until it answers', async () => {
    const { broker } = await connected({ namespace: randomNamespace('stall'), commandTimeoutMs: 300 });
    const first = await broker.publish('a', 'before');

    server.pause();
    const stalled = await outcome(() => broker.publish('a', 'maybe', { idempotencyKey: 'retry-me' }));
    const error = stalled.error as PostgresSseUnavailableError;
    expect(error).toBeInstanceOf(PostgresSseUnavailableError);
    expect(stalled.ms).toBeGreaterThanOrEqual(250);
    expect(error.maybePublished).toBe(true);
    expect(error.message).toBe(
      'Service temporarily unavailable: the event may have been published. Retry in 1 second.',
    );
    expect(broker.status()).toMatchObject({
      state: 'down',
      detail: expect.stringContaining('does not answer (300 ms)'),
    });

    server.resume();
    // It was sent: once PostgreSQL answers, the retry with the same key finds it instead of publishing it again.
    const retried = await eventually(
      () => broker.publish('a', 'maybe', { idempotencyKey: 'retry-me' }),
      (position) => typeof (position as { seq?: unknown }).seq === 'number',
      'publish to succeed again',
    );
    expect(retried.seq).toBe(first.seq + 1);
    expect((await readAll(broker, ['a'], first, 10)).payloads).toEqual(['maybe']);
    expect(broker.status().state).toBe('up');
  });

  it('starts without PostgreSQL after connectTimeoutMs, saying so, and is up once the server is, without a gap', async () => {
    await server.stop();
    logs.clear();
    const started = Date.now();
    const { broker, inbox } = await connected({ namespace: randomNamespace('late'), connectTimeoutMs: 300 });
    expect(Date.now() - started).toBeGreaterThanOrEqual(250);
    expect(logs.messages('warn', 'did not answer within 300 ms; the app starts without it')).toHaveLength(1);
    expect(broker.status().state).toBe('down');
    expect((await outcome(() => broker.publish('a', 'x'))).error).toBeInstanceOf(PostgresSseUnavailableError);

    await server.start();
    await eventually(isDown(broker), (state) => state === 'up', 'the broker to be up');
    await broker.subscribe('a');
    const position = await broker.publish('a', 'first');
    await inbox.until(() => inbox.seqs('a').includes(position.seq), 'the event');
    expect(inbox.gaps()).toEqual([]);
  });

  it('closes during an outage at once, leaving no socket or timer behind', async () => {
    const { broker, inbox } = await connected({ namespace: randomNamespace('close') });
    await broker.publish('a', 'x');
    const handles = watchHandles();
    await server.stop();
    await eventually(isDown(broker), (state) => state === 'down', 'the broker to be down');
    open.splice(open.indexOf(broker), 1);
    const { ms } = await outcome(() => broker.close());
    expect(ms).toBeLessThan(1500);
    expect(inbox.completed).toBe(true);
    expect(await handles.stop()).toEqual({});
  });
});
