import { Logger } from '@nestjs/common';
import { Redis } from 'ioredis';
import { RedisSseBroker, RedisSseUnavailableError, type RedisSseBrokerOptions } from 'nestjs-event-stream/redis';
import { CaptureLogger } from '../utils/capture-logger.js';
import { randomPrefix, RedisServer } from '../utils/redis.js';
import { eventually, Inbox, readAll, within } from './broker-inbox.js';

/** Outages and resubscriptions, on a private redis-server that the tests stop, restart and cut connections of. */
describe('RedisSseBroker when the link to Redis drops', () => {
  const prefix = randomPrefix('redis-outage');
  let namespaces = 0;
  const namespace = () => `${prefix}${++namespaces}:`;
  const open: RedisSseBroker[] = [];
  const clients: Redis[] = [];
  const logs = new CaptureLogger();
  let server: RedisServer;

  beforeAll(async () => {
    Logger.overrideLogger(logs);
    server = await RedisServer.start();
  });

  afterEach(async () => {
    await Promise.all(open.splice(0).map((broker) => broker.close()));
    await Promise.all(clients.splice(0).map((client) => client.quit().catch(() => client.disconnect())));
  });

  afterAll(() => server.stop());

  async function connected(options: RedisSseBrokerOptions): Promise<{ broker: RedisSseBroker; inbox: Inbox }> {
    const broker = new RedisSseBroker(options.client ? options : { url: server.url, ...options });
    open.push(broker);
    const inbox = new Inbox(broker);
    await broker.connect();
    return { broker, inbox };
  }

  function client(options: { connectionName?: string } = {}): Redis {
    const redis = new Redis(server.url, { retryStrategy: () => 50, ...options });
    clients.push(redis);
    return redis;
  }

  it('rejects publish at once with a clear error, then resubscribes and reports a gap from which history has what was missed', async () => {
    const fast: RedisSseBrokerOptions = { redisOptions: { retryStrategy: () => 50 } };
    const keyPrefix = namespace();
    const listener = await connected({ ...fast, keyPrefix });
    const publisher = await connected({ ...fast, keyPrefix });
    await listener.broker.subscribe('live');
    const first = await publisher.broker.publish('live', '1');
    await listener.inbox.until(() => listener.inbox.seqs('live').includes(first.seq), 'the first event');

    logs.clear();
    await server.stop();
    const started = Date.now();
    const error = await eventually<unknown>(
      () => publisher.broker.publish('live', 'lost'),
      (result) => result instanceof RedisSseUnavailableError,
      'publish to reject',
    );
    expect(Date.now() - started).toBeLessThan(2000);
    // The details are for logs; the message (what an HTTP client is told) names no server.
    expect((error as RedisSseUnavailableError).detail).toMatch(
      /^RedisSseBroker: Redis at 127\.0\.0\.1:\d+ is unavailable \(.+\); could not publish to channel "live"\./,
    );
    expect((error as Error).message).toBe('Service temporarily unavailable: nothing was sent. Retry in 5 seconds.');
    expect((error as RedisSseUnavailableError).getStatus()).toBe(503);

    await server.start();
    // The first publish that succeeds after the restart may beat the listener's resubscription:
    // the catch-up from the gap (from the start of Redis's new epoch) must not lose it.
    const recovered = await eventually(
      () => publisher.broker.publish('live', '2'),
      (position) => typeof (position as { seq?: unknown }).seq === 'number',
      'publish to succeed again',
    );
    await listener.inbox.until(() => listener.inbox.gaps().length === 1, 'the gap');
    const { after } = listener.inbox.gaps()[0];
    expect(after.epoch).toBe(recovered.epoch);
    expect(after.epoch).not.toBe(first.epoch);
    expect(after.seq).toBe(0);
    const fromHistory = await readAll(listener.broker, ['live'], after, 100);
    const live = listener.inbox.seqs('live').filter((seq) => seq !== first.seq);
    expect([...fromHistory.seqs, ...live]).toContain(recovered.seq);
    const third = await publisher.broker.publish('live', '3');
    await listener.inbox.until(() => listener.inbox.seqs('live').includes(third.seq), 'an event after recovery');
    // The gap came before anything received after the reconnection.
    const gapIndex = listener.inbox.messages.findIndex((m) => m.type === 'gap');
    const thirdIndex = listener.inbox.messages.findIndex((m) => m.type === 'channel' && m.seq === third.seq);
    expect(gapIndex).toBeLessThan(thirdIndex);
    // Each broker said once that the connection was lost and once that it is back, whatever was tried meanwhile.
    await eventually(
      async () => logs.messages('log', 'Reconnected to Redis').length,
      (n) => n === 2,
      'both to reconnect',
    );
    expect(logs.messages('error', 'No connection to Redis at')).toHaveLength(2);
    // Besides, the details of the refused publishes: once per reason, not once per attempt.
    const warnings = logs.entries.filter((e) => e.level === 'error' || e.level === 'warn');
    const refusals = warnings.filter((e) => e.message.includes('are answered 503'));
    expect(refusals.length).toBeLessThanOrEqual(3);
    expect(new Set(refusals.map((e) => e.message)).size).toBe(refusals.length);
    expect(warnings).toHaveLength(2 + refusals.length);
  });

  it('resolves head() only once its marker is back on the subscriber connection: while that one is down, a head newer than what it received answers 503 after commandTimeoutMs', async () => {
    const keyPrefix = namespace();
    const connectionName = `head-${keyPrefix.replace(/[^a-z0-9]/gi, '')}`;
    const { broker, inbox } = await connected({
      keyPrefix,
      commandTimeoutMs: 300,
      redisOptions: { retryStrategy: () => 1000, connectionName },
    });
    const admin = client();
    await broker.subscribe('a');
    const published = await broker.publish('a', '1');
    expect(await broker.head()).toEqual(published);
    expect(inbox.seqs('a')).toEqual([published.seq]);

    // Only the subscriber connection is cut, and comes back after a second: the command connection answers the read.
    const subscriberLine = ((await admin.call('CLIENT', 'LIST', 'TYPE', 'pubsub')) as string)
      .split('\n')
      .find((line) => line.includes(`name=${connectionName} `))!;
    await admin.client('KILL', 'ID', /\bid=(\d+)/.exec(subscriberLine)![1]);
    // Nothing newer than what it received: nothing to wait for.
    expect(await broker.head()).toEqual(published);
    const missed = await broker.publish('a', 'published while the subscriber is away');
    const started = Date.now();
    const error = await broker.head().then(
      () => new Error('resolved'),
      (reason: unknown) => reason,
    );
    expect(error).toBeInstanceOf(RedisSseUnavailableError);
    expect((error as RedisSseUnavailableError).getStatus()).toBe(503);
    expect((error as RedisSseUnavailableError).maybePublished).toBe(false);
    expect(Date.now() - started).toBeGreaterThanOrEqual(250);

    // Back: the gap covers what it missed, and the head resolves.
    const again = await eventually(
      () => broker.head(),
      (result) => typeof (result as { seq?: unknown }).seq === 'number',
      'head() to resolve again',
    );
    expect(again).toEqual(missed);
    expect(inbox.gaps()).toEqual([{ type: 'gap', after: published }]);
  });

  it('holds at most maxHeldMessages while it resubscribes: past it the channel events are let go of, and the gap that follows reads each of them from history exactly once', async () => {
    const keyPrefix = namespace();
    const connectionName = `held-${keyPrefix.replace(/[^a-z0-9]/gi, '')}`;
    // The listener runs on a client of ours (its command connection), so the test decides when that is back.
    const command = client({ connectionName });
    const listener = await connected({ client: command, keyPrefix, maxHeldMessages: 10 });
    const publisher = await connected({ keyPrefix });
    const admin = client();
    await listener.broker.subscribe('room');
    const first = await publisher.broker.publish('room', 'before');
    await listener.inbox.until(() => listener.inbox.seqs('room').includes(first.seq), 'the first event');

    // The command connection goes away and stays away; the subscriber connection is cut and comes back by itself.
    const ended = new Promise((resolve) => command.once('end', resolve));
    command.disconnect();
    await ended;
    const subscriberLine = ((await admin.call('CLIENT', 'LIST', 'TYPE', 'pubsub')) as string)
      .split('\n')
      .find((line) => line.includes(`name=${connectionName} `))!;
    await admin.client('KILL', 'ID', /\bid=(\d+)/.exec(subscriberLine)![1]);
    const roomChannel = `${keyPrefix}channel:room`;
    await eventually(
      async () => ((await admin.pubsub('NUMSUB', roomChannel)) as [string, number])[1],
      (n) => n === 1,
      'the subscriber to be subscribed again',
    );

    // Resubscribed, the listener holds what arrives until its command connection is back (it reads history there).
    logs.clear();
    const published = [];
    for (let i = 0; i < 100; i++) published.push((await publisher.broker.publish('room', `held ${i}`)).seq);
    for (let i = 0; i < 11; i++) await publisher.broker.send({ type: 'broadcast', payload: `broadcast ${i}` });
    // The warning for the 11th broadcast says that everything published before it has reached the listener.
    await within(
      logs.waitFor('warn', 'messages arrived while the subscription to Redis was being set up again'),
      'the warning that the hold is full',
    );
    expect(listener.inbox.messages).toHaveLength(1);

    const delivered = listener.inbox.messages.length;
    await command.connect();
    await listener.inbox.until(
      () => listener.inbox.messages.filter((m) => m.type === 'broadcast').length === 10,
      'the gap and the broadcasts held',
    );
    const after = listener.inbox.messages.slice(delivered);
    expect(after[0]).toEqual({ type: 'gap', after: first });
    const liveSeqs = after.flatMap((m) => (m.type === 'channel' ? [m.seq] : []));
    expect(liveSeqs.length).toBeLessThanOrEqual(10);
    // What the hub does: read from the gap's position page by page, then take the live events it does not have.
    const fromHistory = await readAll(listener.broker, ['room'], after[0].type === 'gap' ? after[0].after : first, 10);
    expect(fromHistory.seqs).toEqual(published);
    expect(fromHistory.resets).toEqual([]);
    expect([...new Set([...fromHistory.seqs, ...liveSeqs])]).toEqual(published);
    expect(after.filter((m) => m.type === 'broadcast').map((m) => (m as { payload: string }).payload)).toEqual(
      Array.from({ length: 10 }, (_, i) => `broadcast ${i}`),
    );
    expect(logs.messages('warn', 'messages arrived while')).toHaveLength(1);
  });
});
