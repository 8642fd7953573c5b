import { spawnSync, type ChildProcess } from 'node:child_process';
import { randomBytes } from 'node:crypto';
import {
  chmodSync,
  cpSync,
  existsSync,
  mkdirSync,
  mkdtempSync,
  readdirSync,
  readFileSync,
  renameSync,
  rmSync,
  statSync,
  writeFileSync,
} from 'node:fs';
import { tmpdir } from 'node:os';
import { join, resolve } from 'node:path';
import pg from 'pg';
import { freePort, spawnUntilReady } from './server-process.js';

/** The shared PostgreSQL of the test machine (trust auth, user postgres, database test). */
export const POSTGRES_URL = process.env.SSE_TEST_POSTGRES_URL ?? 'postgres://postgres@127.0.0.1:5432/test';

/** A namespace of its own for one test (`[a-z0-9_]`, at most 40 characters): `t_<name>_<random>`. */
export function randomNamespace(name: string): string {
  const safe = name
    .toLowerCase()
    .replace(/[^a-z0-9_]/g, '_')
    .slice(0, 24);
  return `t_${safe}_${randomBytes(5).toString('hex')}`;
}

/** The broker's tables, whose rows name their namespace. */
const TABLES = ['sse_namespaces', 'sse_channels', 'sse_events', 'sse_idempotency', 'sse_spill', 'sse_claims'];

/** Deletes the rows of every namespace starting with `prefix` from the broker's tables in `schema`. */
export async function deleteNamespaces(url: string, prefix: string, schema = 'public'): Promise<void> {
  const client = new pg.Client({ connectionString: url });
  await client.connect();
  try {
    for (const table of TABLES) {
      await client.query(`DELETE FROM "${schema}".${table} WHERE starts_with(namespace, $1)`, [prefix]);
    }
  } finally {
    await client.end();
  }
}

const BIN = process.env.SSE_TEST_POSTGRES_BIN ?? '/usr/lib/postgresql/15/bin';
/** An initdb'd data directory, made once and copied for each server (initdb takes seconds). */
const TEMPLATE = resolve('test/artifacts/postgres-template');

/**
 * The user PostgreSQL runs as: initdb and postgres refuse root, so as root
 * they run as `postgres` (spawned with its uid and gid, so that this process
 * is the postmaster's parent and reaps it: a zombie postmaster would keep
 * its data directory's lock for the next start).
 */
function runAs(): { uid: number; gid: number } | undefined {
  if (process.getuid?.() !== 0) return undefined;
  const id = (flag: string) => Number(spawnSync('id', [flag, 'postgres'], { encoding: 'utf8' }).stdout.trim());
  return { uid: id('-u'), gid: id('-g') };
}

/** Hands `path` (recursively) to the `postgres` user when running as root. */
function giveToPostgres(path: string): void {
  const user = runAs();
  if (!user) return;
  const result = spawnSync('chown', ['-R', `${user.uid}:${user.gid}`, path]);
  if (result.status !== 0) throw new Error(`chown ${path} failed: ${result.stderr.toString()}`);
}

/** Makes the template data directory once (atomically: a rename, so parallel suites never see half of one). */
function template(): string {
  if (existsSync(join(TEMPLATE, 'PG_VERSION'))) return TEMPLATE;
  mkdirSync(resolve('test/artifacts'), { recursive: true });
  const staging = mkdtempSync(join(tmpdir(), 'sse-pg-template-'));
  chmodSync(staging, 0o700);
  giveToPostgres(staging);
  const args = ['-D', staging, '-A', 'trust', '-U', 'postgres', '--no-sync', '-E', 'UTF8'];
  const result = spawnSync(join(BIN, 'initdb'), args, { encoding: 'utf8', ...runAs() });
  if (result.status !== 0) throw new Error(`initdb failed: ${result.stderr || result.stdout}`);
  try {
    cpSync(staging, `${TEMPLATE}.tmp-${process.pid}`, { recursive: true });
    renameSync(`${TEMPLATE}.tmp-${process.pid}`, TEMPLATE);
  } catch (error) {
    // Another suite made it meanwhile: use theirs.
    rmSync(`${TEMPLATE}.tmp-${process.pid}`, { recursive: true, force: true });
    if (!existsSync(join(TEMPLATE, 'PG_VERSION'))) throw error;
  } finally {
    rmSync(staging, { recursive: true, force: true });
  }
  return TEMPLATE;
}

/** The processes of /proc as `[pid, state, ppid]`. */
function processes(): [number, string, number][] {
  const all: [number, string, number][] = [];
  for (const entry of readdirSync('/proc')) {
    if (!/^[0-9]+$/.test(entry)) continue;
    try {
      const stat = readFileSync(`/proc/${entry}/stat`, 'utf8');
      // pid (comm) state ppid ...: comm may hold spaces and parentheses, so read after the last ')'.
      const [state, ppid] = stat.slice(stat.lastIndexOf(')') + 2).split(' ');
      all.push([Number(entry), state, Number(ppid)]);
    } catch {
      // Gone meanwhile.
    }
  }
  return all;
}

/** A postmaster and its children (the backends, which each lead a process group of their own: signalled one by one). */
function serverProcesses(postmaster: number): number[] {
  return [postmaster, ...processes().flatMap(([pid, , ppid]) => (ppid === postmaster ? [pid] : []))];
}

/**
 * Sends `signal` to each of `pids` with kill(2), never the kill binary
 * (whose parsing of ids is not to be trusted), and never to a process group:
 * only to positive ids above 1 that are not this process.
 */
function signalEach(pids: readonly number[], signal: NodeJS.Signals): void {
  for (const pid of pids) {
    if (!Number.isSafeInteger(pid) || pid <= 1 || pid === process.pid) throw new Error(`refusing to signal ${pid}`);
    try {
      process.kill(pid, signal);
    } catch {
      // Gone already.
    }
  }
}

/** Whether any of `pids` is alive (a zombie counts as gone: it holds no port, file or memory). */
function anyAlive(pids: readonly number[]): boolean {
  const wanted = new Set(pids);
  return processes().some(([pid, state]) => wanted.has(pid) && state !== 'Z');
}

/** A data directory without its owner's mark that is older than this was left by an earlier run. */
const STALE_MS = 30 * 60_000;

/** The PID of the postmaster of the data directory under `root`, if its command line still names it. */
function runningPostmaster(root: string): number | undefined {
  try {
    const pid = Number(readFileSync(join(root, 'data', 'postmaster.pid'), 'utf8').split('\n')[0]);
    const cmdline = readFileSync(`/proc/${pid}/cmdline`, 'utf8');
    return cmdline.includes(root) ? pid : undefined;
  } catch {
    return undefined;
  }
}

/**
 * Whether the test process that made `root` (its PID in `root/owner`) is
 * gone; without a valid mark (not written yet: a suite is still making the
 * directory), whether `root` is old.
 */
function abandoned(root: string): boolean {
  let owner = Number.NaN;
  try {
    owner = Number(readFileSync(join(root, 'owner'), 'utf8'));
  } catch {
    // No mark (yet).
  }
  if (Number.isSafeInteger(owner) && owner > 0) return !anyAlive([owner]);
  try {
    return statSync(root).mtimeMs < Date.now() - STALE_MS;
  } catch {
    return false;
  }
}

/**
 * Deletes what test processes that are gone left: the data of the servers
 * they stopped (a suite stops its server at the end, and Jest gives no exit
 * hook to delete it) and servers they never stopped (a killed run).
 */
function sweepAbandoned(): void {
  for (const name of readdirSync(tmpdir())) {
    if (!name.startsWith('sse-pg-')) continue;
    const root = join(tmpdir(), name);
    if (!abandoned(root)) continue;
    const pid = runningPostmaster(root);
    if (pid !== undefined) signalEach(serverProcesses(pid), 'SIGKILL');
    rmSync(root, { recursive: true, force: true });
  }
}

/**
 * A private PostgreSQL server (a data directory of its own under the OS's
 * temporary directory, a port of its own, fsync off: what it committed survives a kill of
 * the server, not of the machine) that a test can kill
 * and start again on the same data and port: the shape of `RedisServer`.
 * Its database is `postgres`; the data directory is deleted by `destroy()`.
 */
export class PostgresServer {
  private process?: ChildProcess;

  private constructor(
    readonly port: number,
    private readonly dataDir: string,
    private readonly socketDir: string,
  ) {}

  get url(): string {
    return `postgres://postgres@127.0.0.1:${this.port}/postgres`;
  }

  static async start(): Promise<PostgresServer> {
    sweepAbandoned();
    const root = mkdtempSync(join(tmpdir(), 'sse-pg-'));
    // Written whole or not at all (a rename): a sweep of another suite never reads half of it.
    writeFileSync(join(root, 'owner.tmp'), String(process.pid));
    renameSync(join(root, 'owner.tmp'), join(root, 'owner'));
    const dataDir = join(root, 'data');
    const socketDir = join(root, 'socket');
    cpSync(template(), dataDir, { recursive: true });
    mkdirSync(socketDir);
    chmodSync(dataDir, 0o700);
    giveToPostgres(root);
    const server = new PostgresServer(await freePort(), dataDir, socketDir);
    await server.start();
    return server;
  }

  /** Starts it (again) on its port and data; resolves when it accepts connections (at once if it runs). */
  start(): Promise<void> {
    if (this.process) return Promise.resolve();
    const args = [
      '-D',
      this.dataDir,
      '-p',
      String(this.port),
      '-k',
      this.socketDir,
      '-c',
      'listen_addresses=127.0.0.1',
      '-c',
      'fsync=off',
      '-c',
      'full_page_writes=off',
      '-c',
      'max_connections=50',
    ];
    // Detached: the server is not in Jest's process group (a Ctrl-C there does not reach it half-way).
    const { child, ready } = spawnUntilReady(
      join(BIN, 'postgres'),
      args,
      { name: 'postgres', text: 'database system is ready to accept connections', on: 'stderr', quote: 800 },
      { detached: true, ...runAs() },
    );
    this.process = child;
    // It is not this server's process any more once it exited (a start that failed leaves it stopped).
    child.once('exit', () => {
      if (this.process === child) this.process = undefined;
    });
    return ready;
  }

  /** Stalls it and every backend (SIGSTOP): connections stay open, nothing is answered until `resume()`. */
  pause(): void {
    if (this.process?.pid) signalEach(serverProcesses(this.process.pid), 'SIGSTOP');
  }

  /** Lets a paused server run again (SIGCONT): it answers what was sent meanwhile. */
  resume(): void {
    if (this.process?.pid) signalEach(serverProcesses(this.process.pid), 'SIGCONT');
  }

  /** Stalls one backend of this server (SIGSTOP), e.g. one connection's (its `pid` in `pg_stat_activity`), until `resumeBackend()`. */
  pauseBackend(pid: number): void {
    signalEach([this.backend(pid)], 'SIGSTOP');
  }

  /** Lets a paused backend run again (SIGCONT). */
  resumeBackend(pid: number): void {
    signalEach([this.backend(pid)], 'SIGCONT');
  }

  /** `pid`, checked to be a backend of this server: nothing else is signalled. */
  private backend(pid: number): number {
    const postmaster = this.process?.pid;
    if (postmaster === undefined || !serverProcesses(postmaster).slice(1).includes(pid)) {
      throw new Error(`${pid} is not a backend of the PostgreSQL server on port ${this.port}`);
    }
    return pid;
  }

  /** Kills it and every backend (SIGKILL: no goodbye to clients); resolves once they are all gone. */
  stop(): Promise<void> {
    const child = this.process;
    this.process = undefined;
    if (!child || child.exitCode !== null || child.signalCode !== null) return Promise.resolve();
    const pids = serverProcesses(child.pid!);
    return new Promise((resolve) => {
      child.once('exit', () => resolve(this.awaitGone(pids)));
      signalEach(pids, 'SIGKILL');
    });
  }

  /** Stops it and deletes its data (else the first `start()` after this process is gone does). */
  async destroy(): Promise<void> {
    await this.stop();
    rmSync(join(this.dataDir, '..'), { recursive: true, force: true });
  }

  /** Resolves once none of `pids` is alive (the postmaster is reaped by this process, its backends by init). */
  private async awaitGone(pids: readonly number[]): Promise<void> {
    for (let i = 0; i < 400 && anyAlive(pids); i++) await new Promise((resolve) => setTimeout(resolve, 5));
  }
}
