import { spawn, type ChildProcess } from 'node:child_process';
import { mkdtempSync, readFileSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { Redis } from 'ioredis';
import { freePort } from './redis.js';

/** How long a (re)start waits for `cluster_state:ok` on every node. */
const READY_TIMEOUT_MS = 30_000;
const MASTERS = 3;

/** One node: its client port, its cluster bus port, its process once started. */
interface Node {
  readonly port: number;
  readonly busPort: number;
  process?: ChildProcess;
  /** Its nodes.conf while it is stopped (the node id and slots it rejoins with). */
  config?: string;
}

/**
 * A private Redis Cluster of 3 masters and no replicas (no persistence), on
 * free ports of 127.0.0.1, that a test can kill and start again: the same
 * shape as `RedisServer` (`url`, `stop()`, `start()`). Each node's
 * nodes.conf lives in a temporary directory while the nodes run; `stop()`
 * keeps it in memory and removes the directory, `start()` writes it back, so
 * the nodes rejoin with their ids and slots (their data is gone: a new epoch).
 */
export class RedisClusterServer {
  private dir: string | undefined;

  private constructor(private readonly nodes: readonly Node[]) {}

  /** `redis://127.0.0.1:<port of the first node>`: any node leads to the others. */
  get url(): string {
    return this.urls[0];
  }

  /** The URL of every node. */
  get urls(): string[] {
    return this.nodes.map((node) => `redis://127.0.0.1:${node.port}`);
  }

  /** The client port of every node. */
  get ports(): number[] {
    return this.nodes.map((node) => node.port);
  }

  /** Starts three nodes, joins them into a cluster (`redis-cli --cluster create`) and waits until it is ok. */
  static async start(): Promise<RedisClusterServer> {
    const nodes: Node[] = [];
    const taken = new Set<number>();
    while (nodes.length < MASTERS) {
      const [port, busPort] = [await freePort(), await freePort()];
      if (port === busPort || taken.has(port) || taken.has(busPort)) continue;
      taken.add(port).add(busPort);
      nodes.push({ port, busPort });
    }
    const cluster = new RedisClusterServer(nodes);
    try {
      await cluster.spawnAll();
      await run('redis-cli', [
        '--cluster',
        'create',
        ...nodes.map((node) => `127.0.0.1:${node.port}`),
        '--cluster-replicas',
        '0',
        '--cluster-yes',
      ]);
      await cluster.ready();
    } catch (error) {
      await cluster.stop();
      throw error;
    }
    return cluster;
  }

  /** Starts every node again on its ports, with its nodes.conf; resolves once every node says `cluster_state:ok`. */
  async start(): Promise<void> {
    await this.spawnAll();
    await this.ready();
  }

  /** Kills one node (SIGKILL), by its index in `ports`, keeping its nodes.conf for `startNode()`. */
  async stopNode(index: number): Promise<void> {
    const node = this.nodes[index];
    await kill(node);
    if (this.dir) node.config = readFileSync(this.configFile(node), 'utf8');
  }

  /** Starts one node stopped by `stopNode()` again; resolves once every node says `cluster_state:ok`. */
  async startNode(index: number): Promise<void> {
    await this.spawn(this.nodes[index]);
    await this.ready();
  }

  /** Kills every node (SIGKILL: no goodbye to clients); resolves once they are gone, their temporary files removed. */
  async stop(): Promise<void> {
    await Promise.all(this.nodes.map(kill));
    const dir = this.dir;
    if (!dir) return;
    for (const node of this.nodes) {
      try {
        node.config = readFileSync(this.configFile(node), 'utf8');
      } catch {
        // Never started (a failed start): nothing to keep.
      }
    }
    this.dir = undefined;
    rmSync(dir, { recursive: true, force: true });
  }

  /** The port of the node that serves `key`'s slot now (asked of the first node that answers). */
  async ownerOf(key: string): Promise<number> {
    const redis = new Redis(this.nodes.find((node) => node.process)!.port, { lazyConnect: true });
    try {
      await redis.connect();
      const slot = (await redis.cluster('KEYSLOT', key)) as number;
      const ranges = await redis.cluster('SLOTS');
      const range = ranges.find(([from, to]) => slot >= from && slot <= to);
      if (!range?.[2]) throw new Error(`no node serves slot ${slot}`);
      return Number(range[2][1]);
    } finally {
      redis.disconnect();
    }
  }

  /**
   * Moves the slot of `key` to the node of port `to`, keys and all, as
   * `redis-cli --cluster reshard` does one slot: IMPORTING/MIGRATING, MIGRATE
   * in batches, then SETSLOT NODE on every node (the old owner ends the shard
   * subscriptions of the slot's channels). Resolves once every node agrees.
   */
  async moveSlot(key: string, to: number): Promise<void> {
    const from = await this.ownerOf(key);
    if (from === to) return;
    const clients = new Map(this.ports.map((port) => [port, new Redis(port, { lazyConnect: true })]));
    const [source, target] = [clients.get(from)!, clients.get(to)!];
    try {
      await Promise.all([...clients.values()].map((client) => client.connect()));
      const slot = (await source.cluster('KEYSLOT', key)) as number;
      const [sourceId, targetId] = [(await source.cluster('MYID')) as string, (await target.cluster('MYID')) as string];
      await target.cluster('SETSLOT', slot, 'IMPORTING', sourceId);
      await source.cluster('SETSLOT', slot, 'MIGRATING', targetId);
      for (;;) {
        const keys = (await source.cluster('GETKEYSINSLOT', slot, 100)) as string[];
        if (keys.length === 0) break;
        await source.migrate('127.0.0.1', to, '', 0, 5000, 'KEYS', ...keys);
      }
      for (const client of [target, source, ...[...clients.values()].filter((c) => c !== source && c !== target)]) {
        await client.cluster('SETSLOT', slot, 'NODE', targetId);
      }
    } finally {
      clients.forEach((client) => client.disconnect());
    }
    await this.ready();
    const deadline = Date.now() + READY_TIMEOUT_MS;
    while ((await this.ownersOf(key)).some((port) => port !== to)) {
      if (Date.now() > deadline) throw new Error(`the nodes do not agree that ${to} serves the slot of ${key}`);
      await new Promise((resolve) => setTimeout(resolve, 50));
    }
  }

  /** What each running node says of who serves the slot of `key`. */
  private async ownersOf(key: string): Promise<number[]> {
    const running = this.nodes.filter((node) => node.process);
    return Promise.all(
      running.map(async (node) => {
        const redis = new Redis(node.port, { lazyConnect: true });
        try {
          await redis.connect();
          const slot = (await redis.cluster('KEYSLOT', key)) as number;
          const range = (await redis.cluster('SLOTS')).find(([lo, hi]) => slot >= lo && slot <= hi);
          return Number(range?.[2]?.[1]);
        } finally {
          redis.disconnect();
        }
      }),
    );
  }

  private configFile(node: Node): string {
    return join(this.dir!, `nodes-${node.port}.conf`);
  }

  private async spawnAll(): Promise<void> {
    await Promise.all(this.nodes.map((node) => this.spawn(node)));
  }

  private spawn(node: Node): Promise<void> {
    this.dir ??= mkdtempSync(join(tmpdir(), 'sse-redis-cluster-'));
    const file = this.configFile(node);
    if (node.config !== undefined) writeFileSync(file, node.config);
    node.config = undefined;
    return new Promise((resolve, reject) => {
      const child = spawn(
        'redis-server',
        [
          '--port',
          String(node.port),
          '--bind',
          '127.0.0.1',
          '--cluster-enabled',
          'yes',
          '--cluster-port',
          String(node.busPort),
          '--cluster-config-file',
          file,
          '--cluster-node-timeout',
          '2000',
          '--dir',
          this.dir!,
          '--save',
          '',
          '--appendonly',
          'no',
          '--daemonize',
          'no',
        ],
        { stdio: ['ignore', 'pipe', 'pipe'] },
      );
      node.process = child;
      let output = '';
      const onData = (chunk: Buffer) => {
        output += chunk.toString();
        if (output.includes('Ready to accept connections')) {
          child.stdout!.off('data', onData);
          child.stdout!.resume();
          resolve();
        }
      };
      child.stdout!.on('data', onData);
      child.stderr!.resume();
      child.once('error', reject);
      child.once('exit', (code) =>
        reject(
          new Error(
            `redis-server (cluster node ${node.port}) exited (${code}) before it was ready: ${output.slice(-500)}`,
          ),
        ),
      );
    });
  }

  /** Resolves once every running node says `cluster_state:ok`; polls (the cluster announces nothing), within a bound. */
  private async ready(): Promise<void> {
    const deadline = Date.now() + READY_TIMEOUT_MS;
    const running = this.nodes.filter((node) => node.process);
    const clients = running.map((node) => new Redis(node.port, { lazyConnect: true, maxRetriesPerRequest: 0 }));
    try {
      await Promise.all(clients.map((client) => client.connect()));
      for (;;) {
        const infos = await Promise.all(clients.map((client) => client.cluster('INFO') as Promise<string>));
        if (infos.every((info) => info.includes('cluster_state:ok'))) return;
        if (Date.now() > deadline) {
          throw new Error(`the Redis Cluster is not ok after ${READY_TIMEOUT_MS} ms: ${infos.join(' | ')}`);
        }
        await new Promise((resolve) => setTimeout(resolve, 50));
      }
    } finally {
      clients.forEach((client) => client.disconnect());
    }
  }
}

function kill(node: Node): Promise<void> {
  const child = node.process;
  node.process = undefined;
  if (!child || child.exitCode !== null || child.signalCode !== null) return Promise.resolve();
  return new Promise((resolve) => {
    child.once('exit', () => resolve());
    child.kill('SIGKILL');
  });
}

/** Runs a command to its end; rejects with its output when it fails. */
function run(command: string, args: readonly string[]): Promise<void> {
  return new Promise((resolve, reject) => {
    const child = spawn(command, args, { stdio: ['ignore', 'pipe', 'pipe'] });
    let output = '';
    child.stdout.on('data', (chunk: Buffer) => (output += chunk.toString()));
    child.stderr.on('data', (chunk: Buffer) => (output += chunk.toString()));
    child.once('error', reject);
    child.once('exit', (code) =>
      code === 0
        ? resolve()
        : reject(new Error(`${command} ${args.join(' ')} exited (${code}): ${output.slice(-1000)}`)),
    );
  });
}
