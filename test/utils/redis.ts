import type { ChildProcess } from 'node:child_process';
import { randomBytes } from 'node:crypto';
import { Redis } from 'ioredis';
import { freePort, spawnUntilReady } from './server-process.js';

/** The shared Redis of the test machine. */
export const REDIS_URL = process.env.SSE_TEST_REDIS_URL ?? 'redis://127.0.0.1:6379';

/** A key prefix of its own for one test file: `test:<name>:<random>:`. */
export function randomPrefix(name: string): string {
  return `test:${name}:${randomBytes(4).toString('hex')}:`;
}

/** Deletes every key under `prefix` (SCAN + DEL), then quits. */
export async function deleteKeys(url: string, prefix: string): Promise<number> {
  const redis = new Redis(url, { lazyConnect: true, maxRetriesPerRequest: 1 });
  try {
    await redis.connect();
    let cursor = '0';
    let deleted = 0;
    do {
      const [next, keys] = await redis.scan(cursor, 'MATCH', `${prefix.replace(/[*?[\]\\]/g, '\\$&')}*`, 'COUNT', 500);
      cursor = next;
      if (keys.length > 0) deleted += await redis.del(...keys);
    } while (cursor !== '0');
    return deleted;
  } finally {
    await redis.quit().catch(() => redis.disconnect());
  }
}

export { freePort } from './server-process.js';

/** A private `redis-server` (no persistence) on a port of its own, that a test can kill and start again. */
export class RedisServer {
  private process?: ChildProcess;

  private constructor(readonly port: number) {}

  get url(): string {
    return `redis://127.0.0.1:${this.port}`;
  }

  static async start(): Promise<RedisServer> {
    const server = new RedisServer(await freePort());
    await server.start();
    return server;
  }

  /** Starts it (again) on its port, with `args` added to its command line (e.g. `['--maxmemory', '1']`); resolves when it accepts connections. */
  start(args: readonly string[] = []): Promise<void> {
    const { child, ready } = spawnUntilReady(
      'redis-server',
      [
        '--port',
        String(this.port),
        '--bind',
        '127.0.0.1',
        '--save',
        '',
        '--appendonly',
        'no',
        '--daemonize',
        'no',
        ...args,
      ],
      { name: 'redis-server', text: 'Ready to accept connections', on: 'stdout' },
    );
    this.process = child;
    return ready;
  }

  /** Stalls it (SIGSTOP): connections stay open, nothing is answered until `resume()`. */
  pause(): void {
    this.process?.kill('SIGSTOP');
  }

  /** Lets a paused server run again (SIGCONT): it answers what was sent meanwhile. */
  resume(): void {
    this.process?.kill('SIGCONT');
  }

  /** Kills it (SIGKILL: no goodbye to clients); resolves once it is gone. */
  stop(): Promise<void> {
    const child = this.process;
    this.process = undefined;
    if (!child || child.exitCode !== null || child.signalCode !== null) return Promise.resolve();
    return new Promise((resolve) => {
      child.once('exit', () => resolve());
      child.kill('SIGKILL');
    });
  }
}
