import { execFile } from 'node:child_process';
import { fileURLToPath } from 'node:url';

const script = fileURLToPath(new URL('./transpile.mjs', import.meta.url));

/**
 * Makes the fixture app runnable by plain `node` (see transpile.mjs: it runs in a
 * process of its own, where loading the TypeScript compiler is much faster
 * than inside Jest's module system). Resolves to the path of `main.js`.
 */
export function buildRedisInstance(): Promise<string> {
  return new Promise((resolve, reject) => {
    execFile(process.execPath, [script], { env: { ...process.env, NODE_OPTIONS: '' } }, (error, stdout, stderr) => {
      if (error) reject(new Error(`building the redis-instance fixture failed: ${stderr || error.message}`));
      else resolve(stdout.trim());
    });
  });
}
