import { existsSync } from 'node:fs';
import { dirname, join, resolve } from 'node:path';
import { fileURLToPath } from 'node:url';

/**
 * The folder of the page (`sample/public`), found from where this file runs:
 * `sample/src` under ts-jest, `sample/dist/sample/src` once built by
 * `nest start`; else from the working directory (the repository root).
 */
export function samplePublicDir(): string {
  const here = dirname(fileURLToPath(import.meta.url));
  const candidates = [
    resolve(here, '../public'),
    resolve(here, '../../../public'),
    resolve(process.cwd(), 'sample/public'),
  ];
  const found = candidates.find((dir) => existsSync(join(dir, 'index.html')));
  if (!found) throw new Error(`The sample's page (index.html) was not found in any of: ${candidates.join(', ')}.`);
  return found;
}
