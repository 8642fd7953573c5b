import { execFile } from 'node:child_process';
import { fileURLToPath } from 'node:url';

const script = fileURLToPath(new URL('./transpile-app.mjs', import.meta.url));

/**
 * Makes a fixture app runnable by plain `node`, for what Jest's module system
 * cannot load (e.g. a CommonJS package that requires an ESM-only one): lib/ and
 * `files` (paths from the repository root, the app's main first) transpiled
 * into test/artifacts/`name` by transpile-app.mjs, in a process of its own
 * (where loading the TypeScript compiler is much faster than inside Jest).
 * Resolves to the path of the main file's `.js`.
 */
export function buildNodeApp(name: string, files: string[]): Promise<string> {
  return new Promise((resolve, reject) => {
    execFile(
      process.execPath,
      [script, name, ...files],
      { env: { ...process.env, NODE_OPTIONS: '' } },
      (error, stdout, stderr) => {
        if (error) reject(new Error(`building the ${name} fixture failed: ${stderr || error.message}`));
        else resolve(stdout.trim());
      },
    );
  });
}
