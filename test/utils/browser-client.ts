import { rmSync } from 'node:fs';
import { mkdtemp, readdir, readFile, rm } from 'node:fs/promises';
import { tmpdir } from 'node:os';
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

/** Builds the browser client into a new temporary folder; `remove()` deletes it. */
export async function buildBrowserClientInTemp(): Promise<{ dir: string; remove(): Promise<void> }> {
  const dir = await mkdtemp(path.join(tmpdir(), 'nestjs-event-stream-client-'));
  await buildBrowserClient(dir);
  return { dir, remove: () => rm(dir, { recursive: true, force: true }) };
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

/**
 * The browser client built once per test process into a temporary folder
 * (removed when the process exits): what the in-process sample serves as
 * `SAMPLE_CLIENT_DIR`, never the repository's `dist/` (the package suite
 * deletes and rebuilds it while other suites run).
 */
export function sharedBrowserClientDir(): Promise<string> {
  shared ??= mkdtemp(path.join(tmpdir(), 'nestjs-event-stream-client-')).then((dir) => {
    process.once('exit', () => rmSync(dir, { recursive: true, force: true }));
    return buildBrowserClient(dir);
  });
  return shared;
}
