import { spawn, type ChildProcess, type SpawnOptions } from 'node:child_process';
import { createServer } from 'node:net';

/** A free TCP port on 127.0.0.1 (for a private server a test starts). */
export function freePort(): Promise<number> {
  return new Promise((resolve, reject) => {
    const server = createServer();
    server.once('error', reject);
    server.listen(0, '127.0.0.1', () => {
      const { port } = server.address() as { port: number };
      server.close(() => resolve(port));
    });
  });
}

/** How `spawnUntilReady()` knows its server is ready. */
export interface ReadyWhen {
  /** What the server is, for the error of a server that exits first (`redis-server (cluster node 7001)`). */
  readonly name: string;
  /** The text the server writes once it accepts connections. */
  readonly text: string;
  /** Where it writes it; the other stream is drained. */
  readonly on: 'stdout' | 'stderr';
  /** How much of its output the error of a server that exited first quotes (default 500 characters). */
  readonly quote?: number;
}

/**
 * Spawns a private server of a test (`command` with `args`), and resolves
 * `ready` once it wrote `when.text`: then its output is drained (never
 * buffered). `ready` rejects if it could not be spawned or exited first,
 * quoting the end of its output. The caller owns `child`: it stops it with a
 * signal to `child.pid` alone (never a process group).
 */
export function spawnUntilReady(
  command: string,
  args: readonly string[],
  when: ReadyWhen,
  options: SpawnOptions = {},
): { child: ChildProcess; ready: Promise<void> } {
  const child = spawn(command, args, { ...options, stdio: ['ignore', 'pipe', 'pipe'] });
  const ready = new Promise<void>((resolve, reject) => {
    const watched = child[when.on]!;
    const other = when.on === 'stdout' ? child.stderr! : child.stdout!;
    let output = '';
    const onData = (chunk: Buffer) => {
      output += chunk.toString();
      if (output.includes(when.text)) {
        watched.off('data', onData);
        watched.resume();
        resolve();
      }
    };
    watched.on('data', onData);
    other.resume();
    child.once('error', reject);
    child.once('exit', (code) =>
      reject(new Error(`${when.name} exited (${code}) before it was ready: ${output.slice(-(when.quote ?? 500))}`)),
    );
  });
  return { child, ready };
}
