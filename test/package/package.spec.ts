import { mkdir, readFile, rm, writeFile } from 'node:fs/promises';
import path from 'node:path';
import { buildConsumer, type ConsumerName } from '../src/consumers/build.js';
import { openEventStream } from 'nestjs-event-stream/testing';
import { ChildApp } from '../utils/child-app.js';
import { installTarball, packPackage, ROOT, run, type PackedPackage } from '../utils/package.js';

/**
 * The package as npm publishes it: `npm pack` (its prepack script builds dist/ from empty),
 * the tarball installed into a project under test/artifacts, and a CommonJS and an ESM Nest app
 * compiled against it and run with plain `node`. One file, one pack: a second spec file building
 * dist/ in a parallel worker would empty it under this one.
 */
const PROJECT = path.join(ROOT, 'test/artifacts/package');

/** Every entry point of the exports map but package.json, in its order. */
const SUBPATHS = [
  '.',
  './broker',
  './redis',
  './postgres',
  './nats',
  './client',
  './testing',
  './openapi',
  './prometheus',
  './opentelemetry',
  './terminus',
];

interface ConsumerReport {
  port: number;
  moduleSystem: 'commonjs' | 'module';
  entry: string;
  redisExports: string[];
  /** What the consumer's shared/entry-points.ts saw of the client, testing and openapi entry points. */
  kit: unknown;
  client: unknown;
  clientClosed: string;
  exports: Record<string, string[]>;
}

interface Consumer {
  name: ConsumerName;
  label: string;
  moduleSystem: ConsumerReport['moduleSystem'];
  /** How the compiled app.js loads the two entry points. */
  loads: RegExp[];
}

const consumers: Consumer[] = [
  {
    name: 'cjs',
    label: 'a CommonJS',
    moduleSystem: 'commonjs',
    loads: [/\brequire\(['"]nestjs-event-stream['"]\)/, /\brequire\(['"]nestjs-event-stream\/redis['"]\)/],
  },
  {
    name: 'esm',
    label: 'an ES module',
    moduleSystem: 'module',
    loads: [/^import .* from ['"]nestjs-event-stream['"];$/m, /^import .* from ['"]nestjs-event-stream\/redis['"];$/m],
  },
];

describe('the published package', () => {
  let pack: PackedPackage;
  let installed: string;
  const builds = new Map<ConsumerName, Promise<string>>();
  const apps: ChildApp[] = [];

  beforeAll(async () => {
    await rm(PROJECT, { recursive: true, force: true });
    pack = await packPackage(PROJECT);
    installed = await installTarball(pack, PROJECT);
    // One tsc per consumer, both at once; each test awaits its own (a failed build fails only its test).
    for (const { name } of consumers) {
      const build = buildConsumer(name, PROJECT);
      build.catch(() => undefined);
      builds.set(name, build);
    }
  }, 60_000);

  afterAll(async () => {
    await Promise.all(apps.map((app) => app.stop()));
    await Promise.allSettled(builds.values());
  });

  it('publishes only package.json, README.md, LICENSE and dist/, each module with its declarations and no source maps', () => {
    expect(pack.files.filter((file) => !file.startsWith('dist/'))).toEqual(['LICENSE', 'README.md', 'package.json']);
    const dist = pack.files.filter((file) => file.startsWith('dist/'));
    expect(dist).toContain('dist/index.js');
    expect(dist.filter((file) => !/\.(js|d\.ts)$/.test(file))).toEqual([]);
    const stems = (suffix: string) =>
      dist
        .filter((file) => file.endsWith(suffix))
        .map((file) => file.slice(0, -suffix.length))
        .sort();
    expect(stems('.d.ts')).toEqual(stems('.js'));
  });

  it('exports every entry point with types, import and default conditions, in that order, all pointing into the tarball', async () => {
    const manifest = JSON.parse(await readFile(path.join(installed, 'package.json'), 'utf8')) as {
      exports: Record<string, string | Record<string, string>>;
    };
    expect(Object.keys(manifest.exports)).toEqual([...SUBPATHS, './package.json']);
    for (const entry of SUBPATHS) {
      const conditions = manifest.exports[entry] as Record<string, string>;
      expect({ entry, conditions: Object.keys(conditions) }).toEqual({
        entry,
        conditions: ['types', 'import', 'default'],
      });
      expect(conditions.import).toBe(conditions.default);
      expect(conditions.types).toBe(conditions.import.replace(/\.js$/, '.d.ts'));
      for (const target of Object.values(conditions)) expect(pack.files).toContain(path.posix.normalize(target));
    }
  });

  it('maps every subpath in typesVersions to the declarations its exports name, which node10 resolution then finds', async () => {
    const manifest = JSON.parse(await readFile(path.join(installed, 'package.json'), 'utf8')) as {
      exports: Record<string, Record<string, string>>;
      typesVersions: Record<string, Record<string, string[]>>;
    };
    const mapped = manifest.typesVersions['*'];
    expect(Object.keys(mapped).sort()).toEqual(
      SUBPATHS.filter((entry) => entry !== '.')
        .map((entry) => entry.slice(2))
        .sort(),
    );
    for (const entry of SUBPATHS.filter((subpath) => subpath !== '.')) {
      expect({ entry, types: mapped[entry.slice(2)] }).toEqual({ entry, types: [manifest.exports[entry].types] });
    }
    // And TypeScript's node10 resolution (which ignores exports) finds every subpath's types.
    const dir = path.join(PROJECT, 'node10');
    await mkdir(dir, { recursive: true });
    const imports = SUBPATHS.map(
      (entry, i) => `import type * as entry${i} from 'nestjs-event-stream${entry.slice(1)}';`,
    );
    await writeFile(
      path.join(dir, 'check.ts'),
      `${imports.join('\n')}\nexport type All = [${SUBPATHS.map((_, i) => `typeof entry${i}`).join(', ')}];\n`,
    );
    const compilerOptions = { module: 'commonjs', moduleResolution: 'node10', ignoreDeprecations: '6.0' };
    await writeFile(
      path.join(dir, 'tsconfig.json'),
      JSON.stringify({
        compilerOptions: { ...compilerOptions, strict: true, skipLibCheck: true, noEmit: true, types: ['node'] },
        files: ['check.ts'],
      }),
    );
    await run(process.execPath, [path.join(ROOT, 'node_modules/typescript/bin/tsc'), '-p', dir]);
  }, 30_000);

  it('ships the MIT license', async () => {
    expect(await readFile(path.join(installed, 'LICENSE'), 'utf8')).toMatch(
      /^MIT License\n\nCopyright \(c\) 2026 the nestjs-event-stream authors\n/,
    );
  });

  it.each(consumers)(
    'loads into $label Nest app from node_modules, with every other entry point, and its stream sends the event frame byte for byte',
    async ({ name, moduleSystem, loads }) => {
      const main = await builds.get(name)!;
      const compiled = await readFile(main, 'utf8');
      for (const load of loads) expect(compiled).toMatch(load);
      if (moduleSystem === 'commonjs') expect(compiled).not.toMatch(/^import\b/m);

      const app = ChildApp.start(main);
      apps.push(app);
      const report = await app.waitForJsonLine<ConsumerReport>();
      expect(report).toEqual({
        port: expect.any(Number),
        moduleSystem,
        entry: path.join(installed, 'dist/index.js'),
        redisExports: expect.arrayContaining([expect.stringMatching(/^RedisSse/)]),
        kit: { ok: true },
        client: { ok: true },
        clientClosed: 'completed',
        exports: {
          openapi: expect.arrayContaining(['ApiEventStream', 'documentEventStreams']),
          prometheus: expect.arrayContaining(['SsePrometheusModule']),
          opentelemetry: expect.arrayContaining(['SseOpenTelemetryModule']),
          terminus: expect.arrayContaining(['SseHealthIndicator', 'SseTerminusModule']),
          postgres: expect.arrayContaining([
            'PostgresSseBroker',
            'PostgresSseScheduleLock',
            'PostgresSseUnavailableError',
          ]),
          nats: expect.arrayContaining(['NatsSseBroker', 'NatsSseScheduleLock', 'NatsSseUnavailableError']),
        },
      });

      const stream = await openEventStream(`http://127.0.0.1:${report.port}`, '/hello');
      await stream.ended;
      expect(stream.status).toBe(200);
      expect(stream.headers['content-type']).toMatch(/^text\/event-stream/);
      expect(stream.text).toBe(
        'retry: 3000\n\nevent: hello\ndata: {"ok":true}\n\nevent: sse-end\ndata: {"reason":"completed"}\n\n',
      );
    },
    40_000, // the first one waits for its tsc run, on a loaded machine too
  );
});
