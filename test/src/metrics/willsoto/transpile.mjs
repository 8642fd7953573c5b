// Makes the @willsoto/nestjs-prometheus fixture app runnable by plain `node`:
// @willsoto/nestjs-prometheus is CommonJS and requires @nestjs/common, which is
// ESM-only since Nest 12; Node 20.19+ loads it (require of ESM), Jest's module
// system does not. Transpiles lib/ and main.ts file by file into
// test/artifacts/metrics-willsoto (as test/src/redis-instance/transpile.mjs
// does); prints main.js's path.
import { mkdir, readdir, readFile, writeFile } from 'node:fs/promises';
import path from 'node:path';
import { fileURLToPath } from 'node:url';
import ts from 'typescript';

const root = fileURLToPath(new URL('../../../../', import.meta.url));
const outDir = path.join(root, 'test/artifacts/metrics-willsoto');

async function sources(dir) {
  const entries = await readdir(dir, { withFileTypes: true });
  const files = await Promise.all(
    entries.map((entry) => {
      const file = path.join(dir, entry.name);
      if (entry.isDirectory()) return sources(file);
      return entry.name.endsWith('.ts') && !entry.name.endsWith('.d.ts') ? [file] : [];
    }),
  );
  return files.flat();
}

const compilerOptions = {
  target: ts.ScriptTarget.ES2022,
  module: ts.ModuleKind.ES2022,
  experimentalDecorators: true,
  emitDecoratorMetadata: true,
  useDefineForClassFields: false,
  esModuleInterop: true,
  isolatedModules: true,
};

const files = [
  ...(await sources(path.join(root, 'lib'))),
  path.join(root, 'test/src/metrics/willsoto/main.ts'),
  path.join(root, 'test/src/metrics/metrics-fixture.ts'),
];
await Promise.all(
  files.map(async (file) => {
    const { outputText } = ts.transpileModule(await readFile(file, 'utf8'), { compilerOptions, fileName: file });
    const target = path.join(outDir, path.relative(root, file)).replace(/\.ts$/, '.js');
    await mkdir(path.dirname(target), { recursive: true });
    await writeFile(target, outputText);
  }),
);
process.stdout.write(path.join(outDir, 'test/src/metrics/willsoto/main.js'));
