/**
 * A private 3-master Redis Cluster for the broker bench: three
 * `redis-server --cluster-enabled yes` on free ports of 127.0.0.1, joined with
 * `redis-cli --cluster create`, no persistence. `stop()` kills the nodes and
 * removes their directory.
 */
import { execFile, spawn } from 'node:child_process';
import { mkdtempSync, rmSync } from 'node:fs';
import { createServer } from 'node:net';
import os from 'node:os';
import path from 'node:path';
import { promisify } from 'node:util';

const run = promisify(execFile);

function freePort() {
  return new Promise((resolve, reject) => {
    const server = createServer();
    server.once('error', reject);
    server.listen(0, '127.0.0.1', () => {
      const { port } = server.address();
      server.close(() => resolve(port));
    });
  });
}

function startNode(port, dir) {
  return new Promise((resolve, reject) => {
    const child = spawn(
      'redis-server',
      [
        '--port',
        String(port),
        '--bind',
        '127.0.0.1',
        '--save',
        '',
        '--appendonly',
        'no',
        '--cluster-enabled',
        'yes',
        '--cluster-config-file',
        path.join(dir, `nodes-${port}.conf`),
        '--dir',
        dir,
      ],
      { stdio: ['ignore', 'pipe', 'ignore'] },
    );
    let output = '';
    child.stdout.on('data', (chunk) => {
      output += chunk;
      if (output.includes('Ready to accept connections')) {
        child.stdout.resume();
        resolve(child);
      }
    });
    child.once('error', reject);
    child.once('exit', (code) => reject(new Error(`redis-server :${port} exited (${code}): ${output.slice(-300)}`)));
  });
}

/** Starts the cluster; resolves to `{ url, stop() }` once every node says cluster_state:ok (within 20 s). */
export async function startRedisCluster() {
  const dir = mkdtempSync(path.join(os.tmpdir(), 'bench-redis-cluster-'));
  const ports = [await freePort(), await freePort(), await freePort()];
  const nodes = [];
  const stop = async () => {
    await Promise.all(
      nodes.map(
        (node) =>
          new Promise((resolve) =>
            node.exitCode !== null ? resolve() : (node.once('exit', resolve), node.kill('SIGKILL')),
          ),
      ),
    );
    rmSync(dir, { recursive: true, force: true });
  };
  try {
    for (const port of ports) nodes.push(await startNode(port, dir));
    await run('redis-cli', [
      '--cluster',
      'create',
      ...ports.map((p) => `127.0.0.1:${p}`),
      '--cluster-replicas',
      '0',
      '--cluster-yes',
    ]);
    const deadline = Date.now() + 20_000;
    for (const port of ports) {
      for (;;) {
        const { stdout } = await run('redis-cli', ['-p', String(port), 'cluster', 'info']);
        if (stdout.includes('cluster_state:ok')) break;
        if (Date.now() > deadline) throw new Error(`the bench cluster's node :${port} is not ok: ${stdout}`);
        await new Promise((resolve) => setTimeout(resolve, 100));
      }
    }
    return { url: `redis://127.0.0.1:${ports[0]}`, stop };
  } catch (error) {
    await stop();
    throw error;
  }
}
