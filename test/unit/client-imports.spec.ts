import { readdirSync, readFileSync } from 'node:fs';
import { fileURLToPath } from 'node:url';

const CLIENT = fileURLToPath(new URL('../../lib/client/', import.meta.url));

/** Every runtime import (`import ... from`, `export ... from`, `import()`) of a file, type-only ones left out. */
function runtimeImports(source: string): string[] {
  const found: string[] = [];
  const statement = /^\s*(import|export)\s+(type\s+)?[^'";]*?from\s+'([^']+)'/gms;
  for (const match of source.matchAll(statement)) if (!match[2]) found.push(match[3]);
  for (const match of source.matchAll(/^\s*import\s+'([^']+)'/gm)) found.push(match[1]);
  for (const match of source.matchAll(/import\(\s*'([^']+)'\s*\)/g)) found.push(match[1]);
  return found;
}

describe('nestjs-event-stream/client runs as plain ES modules in a browser', () => {
  const files = readdirSync(CLIENT).filter((name) => name.endsWith('.ts'));

  it('imports at run time only its own files and the event-stream parser: no node:, no Nest, no rxjs, no dependency', () => {
    expect(files.length).toBeGreaterThan(5);
    for (const name of files) {
      const source = readFileSync(CLIENT + name, 'utf8');
      for (const specifier of runtimeImports(source)) {
        const allowed = /^\.\/[a-z0-9.-]+\.js$/.test(specifier) || specifier === '../protocol/event-stream-parser.js';
        if (!allowed) throw new Error(`lib/client/${name} imports '${specifier}' at run time`);
      }
    }
  });

  it('keeps every file under 350 lines', () => {
    for (const name of files) {
      expect([name, readFileSync(CLIENT + name, 'utf8').split('\n').length < 350]).toEqual([name, true]);
    }
  });
});
