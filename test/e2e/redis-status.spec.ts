import { Logger } from '@nestjs/common';
import { Redis } from 'ioredis';
import type { SseBrokerMessage, SseBrokerStatus } from 'nestjs-event-stream/broker';
import { RedisSseBroker, type RedisSseBrokerOptions } from 'nestjs-event-stream/redis';
import { CaptureLogger } from '../utils/capture-logger.js';
import { freePort, randomPrefix, RedisServer } from '../utils/redis.js';
import { watchHandles } from '../utils/handles.js';

/**
 * `RedisSseBroker.status()` through an outage of a private Redis (killed and
 * started again on its port; the shared one is never touched): what a health
 * check reads. Transitions are awaited on the broker's own signals (its log
 * lines, its `gap` message), never on sleeps.
 */
describe('RedisSseBroker.status()', () => {
  const prefix = randomPrefix('redis-status');
  let namespaces = 0;
  let server: RedisServer;
  const open: RedisSseBroker[] = [];
  const logs = new CaptureLogger();
  /** A test stopped the server: started again after it. */
  let stopped = false;
  /** A test paused the server: resumed after it. */
  let paused = false;

  beforeAll(async () => {
    Logger.overrideLogger(logs);
    server = await RedisServer.start();
  });

  afterEach(async () => {
    if (paused) server.resume();
    paused = false;
    await Promise.all(open.splice(0).map((broker) => broker.close()));
    if (stopped) await server.start();
    stopped = false;
    logs.clear();
  });

  afterAll(() => server.stop());

  async function stopRedis(): Promise<void> {
    stopped = true;
    await server.stop();
  }

  async function startRedis(args: readonly string[] = []): Promise<void> {
    await server.start(args);
    stopped = false;
  }

  /** Polls `made.status()` (nothing announces a stall's end) until `state`, for at most 5 s. */
  async function statusBecomes(made: RedisSseBroker, state: SseBrokerStatus['state']): Promise<SseBrokerStatus> {
    const deadline = Date.now() + 5000;
    while (made.status().state !== state) {
      if (Date.now() > deadline) throw new Error(`status stayed ${JSON.stringify(made.status())}`);
      await new Promise((resolve) => setTimeout(resolve, 20));
    }
    return made.status();
  }

  function broker(options: RedisSseBrokerOptions = {}): RedisSseBroker {
    const made = new RedisSseBroker({ url: server.url, keyPrefix: `${prefix}${++namespaces}:`, ...options });
    open.push(made);
    return made;
  }

  /** Resolves with the status the broker has when it delivers its next `gap` (synchronously, as the hub sees it). */
  function statusAtGap(made: RedisSseBroker): Promise<SseBrokerStatus> {
    return new Promise((resolve) => {
      const subscription = made.messages$.subscribe((message: SseBrokerMessage) => {
        if (message.type !== 'gap') return;
        subscription.unsubscribe();
        resolve(made.status());
      });
    });
  }

  it('says down before connect() and after close(), up once connected', async () => {
    const made = broker();
    expect(made.status()).toMatchObject({ state: 'down', detail: expect.stringContaining('Not connected yet') });
    const before = Date.now();
    await made.connect();
    const up = made.status();
    expect(up).toEqual({ state: 'up', since: expect.any(Number) });
    expect(up.since).toBeGreaterThanOrEqual(before);
    expect(up.since).toBeLessThanOrEqual(Date.now());
    await made.close();
    expect(made.status()).toMatchObject({ state: 'down', detail: expect.stringContaining('closed') });
  });

  it('is down while Redis is stopped (the last error as detail), resyncing when it delivers its gap, then up', async () => {
    const made = broker();
    await made.connect();
    await made.subscribe('orders');
    const upSince = made.status().since!;

    await stopRedis();
    await logs.waitFor('error', 'No connection to Redis');
    const down = made.status();
    expect(down.state).toBe('down');
    expect(down.detail).toContain(`127.0.0.1:${server.port}`);
    // The last error a connection reported (EPIPE, ECONNRESET, ECONNREFUSED...: whichever came last).
    expect(down.detail).toMatch(/\(.+\)/);
    expect(down.since).toBeGreaterThanOrEqual(upSince);
    await expect(made.publish('orders', 'while down')).rejects.toMatchObject({ name: 'RedisSseUnavailableError' });
    expect(made.status().state).toBe('down');

    const atGap = statusAtGap(made);
    await startRedis();
    const resyncing = await atGap;
    expect(resyncing).toMatchObject({ state: 'resyncing', detail: expect.stringContaining('Reconnected') });
    expect(resyncing.since).toBeGreaterThanOrEqual(down.since!);
    await logs.waitFor('log', 'Reconnected to Redis');
    const up = made.status();
    expect(up).toEqual({ state: 'up', since: expect.any(Number) });
    expect(up.since).toBeGreaterThanOrEqual(resyncing.since!);
    // And it serves again.
    await expect(made.publish('orders', 'after')).resolves.toMatchObject({ seq: expect.any(Number) });
  });

  it('is down when the app starts without Redis, then up once Redis is there (no gap: nothing was received before)', async () => {
    await stopRedis();
    const made = broker({ connectTimeoutMs: 200 });
    await made.connect();
    await logs.waitFor('warn', 'did not answer within 200 ms');
    expect(made.status()).toMatchObject({ state: 'down', detail: expect.stringContaining(`127.0.0.1:${server.port}`) });
    await startRedis();
    await logs.waitFor('log', 'Reconnected to Redis');
    expect(made.status().state).toBe('up');
  });

  it('is down, not stuck resyncing, while Redis refuses the resubscription (OOM), and up again once it accepts it', async () => {
    const made = broker({ commandTimeoutMs: 500 });
    await made.connect();
    await made.subscribe('orders');

    await stopRedis();
    await logs.waitFor('error', 'No connection to Redis');
    // Back, but every write is refused: the script that makes sure of the epoch fails with OOM.
    await startRedis(['--maxmemory', '1', '--maxmemory-policy', 'noeviction']);
    await logs.waitFor('error', 'Could not subscribe to Redis');
    const refused = made.status();
    expect(refused).toMatchObject({ state: 'down', detail: expect.stringContaining('OOM') });
    await expect(made.subscribe('rooms')).rejects.toMatchObject({ name: 'RedisSseUnavailableError', status: 503 });
    expect(made.status().state).toBe('down');

    const admin = new Redis(server.url);
    try {
      await admin.config('SET', 'maxmemory', '0');
    } finally {
      await admin.quit();
    }
    // The sync is retried with backoff, without waiting for a reconnection.
    await logs.waitFor('log', 'Reconnected to Redis');
    expect(made.status()).toEqual({ state: 'up', since: expect.any(Number) });
    await expect(made.subscribe('rooms')).resolves.toBeUndefined();
    expect(logs.messages('error', 'Could not subscribe')).toHaveLength(1);
  });

  it('is down while Redis is connected but does not answer (stalled), and up once it answers again', async () => {
    const made = broker({ commandTimeoutMs: 300 });
    await made.connect();
    await made.subscribe('orders');
    expect(made.status().state).toBe('up');

    server.pause();
    paused = true;
    await expect(made.subscribe('rooms')).rejects.toMatchObject({ name: 'RedisSseUnavailableError', status: 503 });
    expect(made.status()).toMatchObject({ state: 'down', detail: expect.stringContaining('does not answer (300 ms)') });
    await expect(made.head()).rejects.toMatchObject({ status: 503 });
    expect(made.status().state).toBe('down');

    server.resume();
    paused = false;
    // The late answers of what was sent meanwhile say that Redis is back.
    await statusBecomes(made, 'up');
    await expect(made.head()).resolves.toMatchObject({ seq: expect.any(Number) });
    await expect(made.subscribe('rooms')).resolves.toBeUndefined();
  });

  it('leaves no timer behind when closed during an outage', async () => {
    const timers = watchHandles(['Timeout']);
    const port = await freePort();
    const made = new RedisSseBroker({
      url: `redis://127.0.0.1:${port}`,
      keyPrefix: `${prefix}${++namespaces}:`,
      connectTimeoutMs: 200,
    });
    await made.connect();
    await logs.waitFor('warn', 'did not answer within 200 ms');
    await made.close();
    expect(await timers.stop()).toEqual({});
  });

  it('never puts the credentials of a URL in an error text into the detail', async () => {
    const port = await freePort();
    // The app's own client: its 'error' events are the broker's too.
    const client = new Redis(`redis://admin:s3cret-pa55@127.0.0.1:${port}`, {
      lazyConnect: true,
      disconnectTimeout: 10,
    });
    const made = new RedisSseBroker({ client, keyPrefix: `${prefix}${++namespaces}:`, connectTimeoutMs: 200 });
    open.push(made);
    try {
      await made.connect();
      await logs.waitFor('warn', 'did not answer within 200 ms');
      for (const url of [`rediss://:p@ss@127.0.0.1:${port}/0`, `redis://admin:pa/ss@127.0.0.1:${port}`]) {
        client.emit('error', new Error(`Could not connect to ${url} (ECONNREFUSED)`));
        const status = made.status();
        expect(status.state).toBe('down');
        expect(status.detail).toContain(`://***@127.0.0.1:${port}`);
        expect(JSON.stringify(status)).not.toMatch(/p@ss|pa\/ss|ss@|admin/);
      }
    } finally {
      client.disconnect();
    }
  });

  it('never puts the credentials of its URL in the detail', async () => {
    const port = await freePort();
    const made = new RedisSseBroker({
      url: `redis://admin:s3cret-pa55@127.0.0.1:${port}`,
      keyPrefix: `${prefix}${++namespaces}:`,
      connectTimeoutMs: 200,
    });
    open.push(made);
    await made.connect();
    await logs.waitFor('warn', 'did not answer within 200 ms');
    const status = made.status();
    expect(status.state).toBe('down');
    expect(status.detail).toContain(`127.0.0.1:${port}`);
    expect(JSON.stringify(status)).not.toMatch(/s3cret|admin/);
  });
});
