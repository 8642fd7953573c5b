import { existsSync } from 'node:fs';
import { dirname, join, resolve } from 'node:path';
import { fileURLToPath } from 'node:url';

/**
 * The folder the page's typed client (`nestjs-event-stream/client`, compiled)
 * is served from: it holds `client/*.js` and `protocol/event-stream-parser.js`,
 * as the package's `dist/` does.
 *
 * `SAMPLE_CLIENT_DIR` when set (the tests build the client into a folder of
 * their own), else the repository's `dist/` (`npm start` builds it first, see
 * the `prestart` script), found from where this file runs: `sample/src/page`
 * under ts-jest, `sample/dist/sample/src/page` once built by `nest start`;
 * else from the working directory. `undefined` when there is none: the page
 * then gets a 404 for the client, which says to build it.
 */
export function sampleClientDir(env: NodeJS.ProcessEnv = process.env): string | undefined {
  if (env.SAMPLE_CLIENT_DIR) return resolve(env.SAMPLE_CLIENT_DIR);
  const here = dirname(fileURLToPath(import.meta.url));
  const candidates = [
    resolve(here, '../../../dist'),
    resolve(here, '../../../../../dist'),
    resolve(process.cwd(), 'dist'),
  ];
  return candidates.find((dir) => existsSync(join(dir, 'client', 'index.js')));
}
