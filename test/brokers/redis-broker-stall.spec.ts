import { Logger } from '@nestjs/common';
import { Redis } from 'ioredis';
import { RedisSseBroker, RedisSseUnavailableError, type RedisSseBrokerOptions } from 'nestjs-event-stream/redis';
import { CaptureLogger } from '../utils/capture-logger.js';
import { randomPrefix, RedisServer } from '../utils/redis.js';
import { eventually, within } from './broker-inbox.js';

/**
 * A Redis that is connected but does not answer (`CLIENT PAUSE ... ALL` on a
 * private server, which the test kills afterwards: a pause cannot be lifted
 * from a paused connection), and one that is gone.
 */
describe('RedisSseBroker when Redis stalls or is gone', () => {
  const prefix = randomPrefix('redis-stall');
  let namespaces = 0;
  const open: RedisSseBroker[] = [];
  const clients: Redis[] = [];
  const logs = new CaptureLogger();
  let server: RedisServer;

  beforeAll(async () => {
    Logger.overrideLogger(logs);
    server = await RedisServer.start();
  });

  afterEach(async () => {
    // Killed first: closing brokers on a paused server would wait for their goodbyes to time out.
    await server.stop();
    await Promise.all(open.splice(0).map((broker) => broker.close()));
    clients.splice(0).forEach((client) => client.disconnect());
    await server.start();
  });

  afterAll(() => server.stop());

  async function connected(options: RedisSseBrokerOptions = {}): Promise<RedisSseBroker> {
    const broker = new RedisSseBroker({
      ...(options.client ? {} : { url: server.url }),
      keyPrefix: `${prefix}${++namespaces}:`,
      commandTimeoutMs: 300,
      redisOptions: { retryStrategy: () => 50 },
      ...options,
    });
    open.push(broker);
    await broker.connect();
    return broker;
  }

  function client(): Redis {
    const redis = new Redis(server.url, { retryStrategy: () => 50 });
    clients.push(redis);
    return redis;
  }

  /** Pauses every client of the server (this one too) for `ms`. */
  async function pause(ms: number): Promise<void> {
    await client().call('CLIENT', 'PAUSE', String(ms), 'ALL');
  }

  async function rejection(promise: Promise<unknown>): Promise<RedisSseUnavailableError> {
    const error = await within(
      promise.then(
        () => new Error('resolved'),
        (reason: unknown) => reason,
      ),
      'the call to reject',
      5000,
    );
    expect(error).toBeInstanceOf(RedisSseUnavailableError);
    return error as RedisSseUnavailableError;
  }

  it.each([
    ['its own connections', false],
    ['a client of the app, which has no command timeout', true],
  ])(
    'rejects every call a request waits on (subscribe, read, head, publish, send) while a connected Redis stalls, on %s',
    async (_, ofTheApp) => {
      const broker = await connected(ofTheApp ? { client: client() } : {});
      await broker.subscribe('warm');
      const position = await broker.publish('warm', 'before');
      await pause(30_000);
      const errors = await Promise.all([
        rejection(broker.subscribe('new')),
        rejection(broker.read(['warm'], position, 10)),
        rejection(broker.head()),
        rejection(broker.publish('warm', 'during')),
        rejection(broker.send({ type: 'broadcast', payload: 'during' })),
      ]);
      for (const error of errors) expect(error.getStatus()).toBe(503);
      expect(errors.map((error) => error.maybePublished)).toEqual([false, false, false, true, true]);
    },
  );

  it('says that a publish Redis did not answer in time may have been published, which it was', async () => {
    const broker = await connected();
    const position = await broker.publish('room', 'before');
    await pause(1000);
    const error = await rejection(broker.publish('room', 'during the stall'));
    expect(error.maybePublished).toBe(true);
    expect(error.message).toMatch(/the event may have been published/);
    expect(error.detail).toMatch(/did not answer .*publish to channel "room".* may have been published/);
    // Once Redis answers again, the event is there.
    const page = await eventually(
      () => broker.read(['room'], position, 10),
      (result) => Array.isArray(result.events),
      'Redis to answer again',
    );
    expect(page.events.map((e) => e.payload)).toEqual(['during the stall']);
  });

  it('says that nothing was sent for a publish refused before it was sent (the link is down)', async () => {
    const broker = await connected();
    await broker.publish('room', 'before');
    await server.stop();
    const error = await eventually<unknown>(
      () => broker.publish('room', 'refused'),
      (result) => result instanceof RedisSseUnavailableError,
      'publish to be refused',
    );
    expect((error as RedisSseUnavailableError).maybePublished).toBe(false);
    expect((error as Error).message).toMatch(/nothing was sent/i);
    expect((error as Error).message).not.toMatch(/may have been/);
    expect((error as RedisSseUnavailableError).detail).toMatch(/Redis at 127\.0\.0\.1:\d+ is unavailable/);
  });

  it('stores a publish once when it is retried with its idempotency key after Redis did not answer in time', async () => {
    const broker = await connected();
    const before = await broker.publish('orders', 'before');
    await pause(1000);
    const first = await rejection(broker.publish('orders', 'order 1', { idempotencyKey: 'order-1' }));
    expect(first.maybePublished).toBe(true);
    // Every retry during the stall times out too, and runs once Redis answers: all of them find the key.
    const accepted = await eventually(
      () => broker.publish('orders', 'order 1', { idempotencyKey: 'order-1' }),
      (result) => typeof (result as { seq?: unknown }).seq === 'number',
      'a retry to be accepted',
    );
    const page = await broker.read(['orders'], before, 100);
    expect(page.events.map((e) => e.payload)).toEqual(['order 1']);
    expect(page.events[0].seq).toBe(accepted.seq);
  });
});
