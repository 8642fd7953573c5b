// Makes a fixture app runnable by plain `node`: transpiles lib/ and the given
// files (paths from the repository root) file by file into
// test/artifacts/<name> (the project compiles with `isolatedModules`, so this
// is what tsc emits, without type checking: well under a second, where tsc
// takes ~10 s on two cores). The output resolves node_modules and
// "type": "module" from the project root. Prints the .js path of the first file.
//   node test/utils/transpile-app.mjs <name> <main.ts> [more.ts...]
// Run through test/utils/node-app.ts `buildNodeApp()`.
import { mkdir, readdir, readFile, writeFile } from 'node:fs/promises';
import path from 'node:path';
import { fileURLToPath } from 'node:url';
import ts from 'typescript';

const root = fileURLToPath(new URL('../../', import.meta.url));
const [name, ...entries] = process.argv.slice(2);
if (!name || entries.length === 0 || !/^[a-z0-9-]+$/.test(name)) {
  throw new Error('usage: node test/utils/transpile-app.mjs <name: a-z, 0-9, -> <main.ts> [more.ts...]');
}
const outDir = path.join(root, 'test/artifacts', name);

async function sources(dir) {
  const found = await readdir(dir, { withFileTypes: true });
  const files = await Promise.all(
    found.map((entry) => {
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

const files = [...(await sources(path.join(root, 'lib'))), ...entries.map((entry) => path.join(root, entry))];
await Promise.all(
  files.map(async (file) => {
    const { outputText } = ts.transpileModule(await readFile(file, 'utf8'), { compilerOptions, fileName: file });
    const target = path.join(outDir, path.relative(root, file)).replace(/\.ts$/, '.js');
    await mkdir(path.dirname(target), { recursive: true });
    await writeFile(target, outputText);
  }),
);
process.stdout.write(path.join(outDir, entries[0]).replace(/\.ts$/, '.js'));
