import { cp, writeFile } from 'node:fs/promises';
import path from 'node:path';
import { fileURLToPath } from 'node:url';
import { ROOT, run } from '../../utils/package.js';

export type ConsumerName = 'cjs' | 'esm';

/** What an app author's tsconfig.json holds; the package.json beside app.ts picks CommonJS or ESM output. */
const compilerOptions = {
  target: 'ES2022',
  module: 'NodeNext',
  moduleResolution: 'NodeNext',
  strict: true,
  experimentalDecorators: true,
  emitDecoratorMetadata: true,
  skipLibCheck: true,
  types: ['node'],
};

/**
 * Copies the consumer `name` (app.ts, its package.json and shared/entry-points.ts) into `project/<name>` and compiles it
 * there with tsc, so that `nestjs-event-stream` resolves (types and code) to the package installed
 * in `project/node_modules`, not to lib/ or dist/. Resolves to the path of app.js. This build is what
 * type-checks cjs/ and esm/: the repository's tsconfig.json leaves them out, as their `./entry-points.js`
 * exists only once copied.
 */
export async function buildConsumer(name: ConsumerName, project: string): Promise<string> {
  const dir = path.join(project, name);
  await cp(fileURLToPath(new URL(`./${name}/`, import.meta.url)), dir, { recursive: true });
  await cp(fileURLToPath(new URL('./shared/entry-points.ts', import.meta.url)), path.join(dir, 'entry-points.ts'));
  await writeFile(path.join(dir, 'tsconfig.json'), JSON.stringify({ compilerOptions, files: ['app.ts'] }, null, 2));
  await run(process.execPath, [path.join(ROOT, 'node_modules/typescript/bin/tsc'), '-p', dir]);
  return path.join(dir, 'app.js');
}
