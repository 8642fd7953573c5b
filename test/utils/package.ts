import { execFile } from 'node:child_process';
import { mkdir } from 'node:fs/promises';
import path from 'node:path';
import { fileURLToPath } from 'node:url';

/** The repository root. */
export const ROOT = fileURLToPath(new URL('../../', import.meta.url));

/**
 * Runs a command to its end and resolves to its stdout; a failure carries all it printed.
 * NODE_OPTIONS is cleared: Jest's --experimental-vm-modules is not for children.
 */
export function run(command: string, args: string[], cwd = ROOT): Promise<string> {
  return new Promise((resolve, reject) => {
    execFile(
      command,
      args,
      { cwd, env: { ...process.env, NODE_OPTIONS: '' }, maxBuffer: 16 * 1024 * 1024 },
      // A failure's message names the command and holds its stderr; tsc prints its errors on stdout.
      (error, stdout) => (error ? reject(new Error(`${error.message}${stdout}`)) : resolve(stdout)),
    );
  });
}

export interface PackedPackage {
  name: string;
  /** Path of the .tgz file. */
  tarball: string;
  /** What the tarball holds, as `npm pack --dry-run --json` lists it (paths relative to the package). */
  files: string[];
}

/** `npm pack` of the repository into `destination` (its `prepack` script builds `dist/` from empty first). */
export async function packPackage(destination: string): Promise<PackedPackage> {
  await mkdir(destination, { recursive: true });
  const output = await run('npm', ['pack', '--json', '--pack-destination', destination]);
  const [report] = JSON.parse(output) as { name: string; filename: string; files: { path: string }[] }[];
  return {
    name: report.name,
    tarball: path.join(destination, report.filename),
    files: report.files.map((file) => file.path).sort(),
  };
}

/**
 * Extracts the tarball as `<project>/node_modules/<name>`, as `npm install` would put it. Its peer
 * dependencies are not installed there: Node and tsc find them in the repository's node_modules,
 * walking up from a project under the repository.
 */
export async function installTarball(pack: PackedPackage, project: string): Promise<string> {
  const target = path.join(project, 'node_modules', pack.name);
  await mkdir(target, { recursive: true });
  await run('tar', ['-xzf', pack.tarball, '-C', target, '--strip-components=1']);
  return target;
}
