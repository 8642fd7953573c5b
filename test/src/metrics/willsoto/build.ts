import { execFile } from 'node:child_process';
import { fileURLToPath } from 'node:url';

const script = fileURLToPath(new URL('./transpile.mjs', import.meta.url));

/** Makes the fixture app runnable by plain `node` (see transpile.mjs). Resolves to the path of `main.js`. */
export function buildWillsotoApp(): Promise<string> {
  return new Promise((resolve, reject) => {
    execFile(process.execPath, [script], { env: { ...process.env, NODE_OPTIONS: '' } }, (error, stdout, stderr) => {
      if (error) reject(new Error(`building the willsoto fixture failed: ${stderr || error.message}`));
      else resolve(stdout.trim());
    });
  });
}
