// Makes the fixture app runnable by plain `node`: transpiles lib/ and main.ts
// file by file into test/artifacts/redis-instance (the project compiles with
// `isolatedModules`, so this is what tsc emits, without type checking: well
// under a second, where tsc takes ~10 s on two cores). The output resolves
// node_modules and "type": "module" from the project root.
// Run by test/src/redis-instance/build.ts for test/e2e/redis-instances.spec.ts; prints main.js's path.
import { mkdir, readdir, readFile, writeFile } from 'node:fs/promises';
import path from 'node:path';
import { fileURLToPath } from 'node:url';
import ts from 'typescript';

const root = fileURLToPath(new URL('../../../', import.meta.url));
const outDir = path.join(root, 'test/artifacts/redis-instance');

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

const files = [...(await sources(path.join(root, 'lib'))), path.join(root, 'test/src/redis-instance/main.ts')];
await Promise.all(
  files.map(async (file) => {
    const { outputText } = ts.transpileModule(await readFile(file, 'utf8'), { compilerOptions, fileName: file });
    const target = path.join(outDir, path.relative(root, file)).replace(/\.ts$/, '.js');
    await mkdir(path.dirname(target), { recursive: true });
    await writeFile(target, outputText);
  }),
);
process.stdout.write(path.join(outDir, 'test/src/redis-instance/main.js'));
