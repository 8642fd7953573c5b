import { createHook } from 'node:async_hooks';
import type { ChildProcess } from 'node:child_process';
import { randomBytes } from 'node:crypto';
import { mkdtempSync, readdirSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { connect } from 'nats';
import { freePort, spawnUntilReady } from './server-process.js';

/** The shared NATS server (with JetStream) of the test machine. */
export const NATS_URL = process.env.SSE_TEST_NATS_URL ?? 'nats://127.0.0.1:4222';

/** Where the test machine keeps nats-server. */
const NATS_SERVER = process.env.SSE_TEST_NATS_SERVER ?? '/usr/sbin/nats-server';

/** A namespace of its own for one broker of a test: `t_<name>_<random>` (at most 32 characters). */
export function randomNamespace(name: string): string {
  return `t_${name.replace(/[^A-Za-z0-9_-]/g, '_').slice(0, 20)}_${randomBytes(4).toString('hex')}`;
}

/**
 * Deletes every JetStream stream of the namespace `namespace` (its events, its
 * channel index, its schedule locks' KV bucket: the streams whose name ends
 * with `_<namespace>` and starts with `SSE_` or `KV_SSE_`), then closes.
 * Resolves to the names deleted.
 */
export async function deleteNamespace(url: string, namespace: string): Promise<string[]> {
  const nc = await connect({ servers: url, maxReconnectAttempts: 0 });
  try {
    const jsm = await nc.jetstreamManager();
    const names: string[] = [];
    for await (const name of jsm.streams.names()) {
      if (/^(KV_)?SSE_[A-Z]+_/.test(name) && name.endsWith(`_${namespace}`)) names.push(name);
    }
    for (const name of names) await jsm.streams.delete(name);
    return names;
  } finally {
    await nc.close();
  }
}

/**
 * Watches the sockets and timers that the NATS broker or its nats client
 * create from now on (by where they are made: `lib/brokers/nats/` or the
 * `nats` package), so that what Jest's own reporter or other suites start
 * meanwhile does not count. `stop()` waits one turn of the event loop (a
 * handle's destroy is reported in the turn after it closes) and returns
 * those still alive, by type.
 */
export function watchNatsHandles(): { alive(): Record<string, number>; stop(): Promise<Record<string, number>> } {
  const live = new Map<number, string>();
  const types = ['TCPWRAP', 'TLSWRAP', 'TCPCONNECTWRAP', 'Timeout'];
  const hook = createHook({
    init: (id, type) => {
      if (!types.includes(type)) return;
      const limit = Error.stackTraceLimit;
      Error.stackTraceLimit = 60;
      const stack = new Error().stack ?? '';
      Error.stackTraceLimit = limit;
      if (/lib\/brokers\/nats\/|node_modules\/nats\//.test(stack)) live.set(id, type);
    },
    destroy: (id) => void live.delete(id),
  }).enable();
  const alive = () => {
    const counts: Record<string, number> = {};
    for (const type of live.values()) counts[type] = (counts[type] ?? 0) + 1;
    return counts;
  };
  return {
    /** Those alive now, by type (the watch goes on). */
    alive,
    stop: async () => {
      await new Promise((resolve) => setImmediate(resolve));
      await new Promise((resolve) => setImmediate(resolve));
      hook.disable();
      return alive();
    },
  };
}

const STORE_PREFIX = 'sse-nats-';

/**
 * Removes the store directories of test processes that are gone: a Jest
 * worker may end without its `exit` handlers (which remove its own).
 */
function removeStaleStores(): void {
  for (const name of readdirSync(tmpdir())) {
    const pid = Number(/^sse-nats-(\d+)-/.exec(name)?.[1]);
    if (!pid || pid === process.pid) continue;
    try {
      process.kill(pid, 0);
    } catch {
      rmSync(join(tmpdir(), name), { recursive: true, force: true });
    }
  }
}

/**
 * A private `nats-server` with JetStream on a port of its own, that a test can
 * kill and start again: on the same port, with the same store directory, so
 * that what JetStream stored survives a restart (as it does in production).
 * The store directory is removed when the test process exits (or, if it
 * ended without its exit handlers, by the next test process that starts one).
 */
export class NatsServer {
  private process?: ChildProcess;
  private readonly storeDir: string;

  private constructor(readonly port: number) {
    removeStaleStores();
    this.storeDir = mkdtempSync(join(tmpdir(), `${STORE_PREFIX}${process.pid}-`));
    process.once('exit', () => rmSync(this.storeDir, { recursive: true, force: true }));
  }

  get url(): string {
    return `nats://127.0.0.1:${this.port}`;
  }

  static async start(): Promise<NatsServer> {
    const server = new NatsServer(await freePort());
    await server.start();
    return server;
  }

  /** Starts it (again) on its port and store directory; resolves when it says it is ready (JetStream included). No-op if it runs. */
  start(): Promise<void> {
    const running = this.process;
    if (running && running.exitCode === null && running.signalCode === null) return Promise.resolve();
    const { child, ready } = spawnUntilReady(
      NATS_SERVER,
      ['-a', '127.0.0.1', '-p', String(this.port), '-js', '-sd', this.storeDir],
      { name: 'nats-server', text: 'Server is ready', on: 'stderr' },
    );
    this.process = child;
    return ready;
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
