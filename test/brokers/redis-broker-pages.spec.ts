import { Redis } from 'ioredis';
import { RedisSseBroker } from 'nestjs-event-stream/redis';
import { randomPrefix, RedisServer } from '../utils/redis.js';
import { readAll, within } from './broker-inbox.js';

/**
 * The cost of a history read is bounded by its page, whatever the history
 * holds: Redis's MONITOR (on a private server) shows every command the read
 * script runs, and none may take more than a page out of a stream.
 */
describe('RedisSseBroker history reads', () => {
  let server: RedisServer;
  let broker: RedisSseBroker;
  let monitor: Redis | undefined;
  let admin: Redis;
  /** The stream commands Redis ran since the monitor started: [command, ...args]. */
  const seen: string[][] = [];

  beforeAll(async () => {
    server = await RedisServer.start();
    broker = new RedisSseBroker({
      url: server.url,
      keyPrefix: randomPrefix('redis-pages'),
      history: { maxEvents: 6000 },
      // 5,000 publishes are sent at once: on a loaded machine the last ones wait longer than the default 5 s.
      commandTimeoutMs: 60_000,
    });
    await broker.connect();
    admin = new Redis(server.url);
  });

  afterAll(async () => {
    await broker.close();
    monitor?.disconnect();
    await admin.quit();
    await server.stop();
  });

  /** Resolves once the monitor has shown every command Redis ran before this call (Redis runs them in order). */
  async function settled(): Promise<void> {
    const marker = `settled-${Math.random()}`;
    await admin.echo(marker);
    await within(
      new Promise<void>((resolve) => {
        const check = () => (seen.some((args) => args[1] === marker) ? resolve() : setImmediate(check));
        check();
      }),
      'the monitor to show the marker',
    );
  }

  it('reads each channel with XRANGE ... COUNT limit+1, never a whole stream, and walks 5,000 events in pages', async () => {
    const channels = ['big:a', 'big:b', 'big:c'];
    const published = await Promise.all(
      Array.from({ length: 5000 }, (_, i) => broker.publish(channels[i % 3], `${i}`)),
    );
    // From here on, the monitor shows every command Redis runs, those of scripts included.
    monitor = await admin.monitor();
    monitor.on('monitor', (_time: string, args: string[]) => {
      if (/^(XRANGE|XREVRANGE|XREAD|ECHO)$/i.test(args[0])) seen.push(args);
    });

    const oneShot = await broker.read(['big:a'], { epoch: published[0].epoch, seq: 0 }, 10);
    expect(oneShot.events).toHaveLength(10);
    expect(oneShot.more).toBe(true);
    await settled();
    const reads = seen.filter((args) => /^XRANGE$/i.test(args[0]));
    expect(reads).toEqual([['XRANGE', `${broker.keyPrefix}history:big:a`, '(0-0', '+', 'COUNT', '11']]);

    seen.length = 0;
    const walked = await readAll(broker, channels, { epoch: published[0].epoch, seq: 0 }, 100);
    await settled();
    expect(walked.seqs).toEqual(published.map((p) => p.seq).sort((x, y) => x - y));
    expect(Math.max(...walked.pageSizes)).toBeLessThanOrEqual(100);
    const streamCommands = seen.filter((args) => !/^ECHO$/i.test(args[0]));
    expect(streamCommands.length).toBe(3 * walked.pageSizes.length);
    for (const args of streamCommands) {
      expect(args.slice(-2)).toEqual(['COUNT', '101']);
    }
  });
});
