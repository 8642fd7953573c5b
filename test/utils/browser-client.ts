import { createHash } from 'node:crypto';
import { existsSync } from 'node:fs';
import { mkdir, mkdtemp, readdir, readFile, rename, rm } from 'node:fs/promises';
import path from 'node:path';
import type { IncomingMessage, ServerResponse } from 'node:http';
import { ROOT, run } from './package.js';

/**
 * Compiles `nestjs-event-stream/client` to plain ES modules for a browser
 * (tsconfig.client.json: lib/client and the parser, ES2022, no declarations)
 * into `outDir`, laid out as `dist/` is: `<outDir>/client/*.js`,
 * `<outDir>/protocol/event-stream-parser.js`. Resolves to `outDir`.
 */
export async function buildBrowserClient(outDir: string): Promise<string> {
  await run(path.join(ROOT, 'node_modules/.bin/tsc'), ['-p', 'tsconfig.client.json', '--outDir', outDir]);
  return outDir;
}

/**
 * Middleware serving the built client as `/lib/client/<name>.js` and
 * `/lib/protocol/event-stream-parser.js` with `text/javascript`: only the
 * files of the build, by exact name (anything else falls through).
 */
export async function serveBrowserClient(dir: string) {
  const names = new Map<string, string>();
  for (const name of await readdir(path.join(dir, 'client'))) {
    if (name.endsWith('.js')) names.set(`/lib/client/${name}`, path.join(dir, 'client', name));
  }
  names.set('/lib/protocol/event-stream-parser.js', path.join(dir, 'protocol', 'event-stream-parser.js'));
  return (request: IncomingMessage, response: ServerResponse, next: () => void) => {
    const file = names.get((request.url ?? '').split('?')[0]);
    if (!file) return next();
    readFile(file).then((body) => {
      response.setHeader('content-type', 'text/javascript; charset=utf-8');
      response.end(body);
    }, next);
  };
}

let shared: Promise<string> | undefined;

/** The inputs of the browser build: what a change to must give a new build. */
async function buildInputs(): Promise<string[]> {
  const client = (await readdir(path.join(ROOT, 'lib/client'))).filter((name) => name.endsWith('.ts'));
  return [
    ...client.sort().map((name) => path.join(ROOT, 'lib/client', name)),
    path.join(ROOT, 'lib/protocol/event-stream-parser.ts'),
    path.join(ROOT, 'tsconfig.client.json'),
  ];
}

/**
 * The browser client built once for its sources, in the git-ignored
 * `test/artifacts/browser-client/<digest of the sources>/`: every test process
 * (and every later run) with the same sources uses the same build, and
 * nothing is left in the system's temporary folder. Two processes building
 * at once each build in a folder of their own and the first rename wins.
 * What the in-process sample serves as `SAMPLE_CLIENT_DIR`, never the
 * repository's `dist/` (the package suite deletes and rebuilds it while
 * other suites run).
 */
export function sharedBrowserClientDir(): Promise<string> {
  shared ??= (async () => {
    const digest = createHash('sha256');
    for (const file of await buildInputs()) digest.update(file).update(await readFile(file));
    const root = path.join(ROOT, 'test/artifacts/browser-client');
    const dir = path.join(root, digest.digest('hex').slice(0, 16));
    if (existsSync(path.join(dir, 'client/index.js'))) return dir;
    await mkdir(root, { recursive: true });
    const building = await mkdtemp(path.join(root, 'building-'));
    await buildBrowserClient(building);
    try {
      await rename(building, dir);
    } catch {
      await rm(building, { recursive: true, force: true }); // another process renamed its build first
    }
    return dir;
  })();
  return shared;
}
