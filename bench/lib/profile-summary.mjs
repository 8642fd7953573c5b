/**
 * Summarizes a .cpuprofile (V8 CPU profile, as written by `node --cpu-prof` or
 * the inspector): the top functions by self time, the nestjs-event-stream functions by
 * total (inclusive) time, and where the time went by origin.
 *
 *   node bench/lib/profile-summary.mjs bench/profiles/nestjs-event-stream-throughput.cpuprofile [top]
 */
import { readFileSync } from 'node:fs';
import path from 'node:path';
import { fileURLToPath } from 'node:url';

const root = path.resolve(path.dirname(fileURLToPath(import.meta.url)), '..', '..');

function where(frame) {
  let url = frame.url || '';
  if (url.startsWith('file://')) url = fileURLToPath(url);
  if (url.startsWith(root)) url = path.relative(root, url);
  url = url.replace(/^.*node_modules\//, '');
  return url ? `${url}:${frame.lineNumber + 1}` : '';
}

/** The package's own built code (dist/, or a dist-* copy), not a dependency's dist/. */
function isOwn(url) {
  return /\/dist(-[\w.-]+)?\//.test(url) && !url.includes('/node_modules/');
}

function origin(frame) {
  const url = frame.url || '';
  const name = frame.functionName;
  if (name === '(garbage collector)') return 'garbage collector';
  if (name === '(idle)') return 'idle';
  if (name === '(program)') return 'program (native, not JS)';
  if (name === '(root)') return 'root';
  if (isOwn(url)) return 'nestjs-event-stream (dist/)';
  if (url.includes('/node_modules/@nestjs/')) return '@nestjs';
  if (url.includes('/node_modules/rxjs/')) return 'rxjs';
  if (url.includes('/node_modules/')) return 'other node_modules (express...)';
  if (url.includes('/bench/')) return 'bench server';
  if (url.startsWith('node:')) return 'Node.js core';
  return url ? 'other' : 'native / builtin';
}

export function summarizeProfile(file, { top = 25 } = {}) {
  const profile = JSON.parse(readFileSync(file, 'utf8'));
  const nodes = new Map(profile.nodes.map((node) => [node.id, node]));
  const parent = new Map();
  for (const node of profile.nodes) for (const child of node.children ?? []) parent.set(child, node.id);
  const key = (frame) => `${frame.functionName || '(anonymous)'}  ${where(frame)}`;
  const self = new Map();
  const total = new Map();
  const origins = new Map();
  let all = 0;
  let busy = 0;
  const { samples, timeDeltas } = profile;
  for (let i = 0; i < samples.length; i++) {
    const us = timeDeltas[i + 1] ?? 0;
    const node = nodes.get(samples[i]);
    all += us;
    if (node.callFrame.functionName !== '(idle)') busy += us;
    const k = key(node.callFrame);
    self.set(k, (self.get(k) ?? 0) + us);
    const o = origin(node.callFrame);
    origins.set(o, (origins.get(o) ?? 0) + us);
    const seen = new Set();
    for (let id = node.id; id !== undefined; id = parent.get(id)) {
      const frame = nodes.get(id).callFrame;
      if (!isOwn(frame.url || '')) continue;
      const fk = key(frame);
      if (seen.has(fk)) continue;
      seen.add(fk);
      total.set(fk, (total.get(fk) ?? 0) + us);
    }
  }
  const ms = (us) => (us / 1000).toFixed(1).padStart(8);
  const pct = (us) => `${((100 * us) / Math.max(1, busy)).toFixed(1).padStart(5)}%`;
  const lines = [
    `  ${(all / 1000).toFixed(0)} ms profiled, ${(busy / 1000).toFixed(0)} ms not idle (percentages of the latter)`,
  ];
  lines.push('  by origin (self time):');
  for (const [name, us] of [...origins].sort((a, b) => b[1] - a[1]))
    if (name !== 'idle') lines.push(`  ${ms(us)} ms ${pct(us)}  ${name}`);
  lines.push(`  top ${top} functions by self time:`);
  for (const [name, us] of [...self]
    .filter(([n]) => !n.startsWith('(idle)'))
    .sort((a, b) => b[1] - a[1])
    .slice(0, top)) {
    lines.push(`  ${ms(us)} ms ${pct(us)}  ${name}`);
  }
  lines.push('  nestjs-event-stream functions by total time (self + callees):');
  for (const [name, us] of [...total].sort((a, b) => b[1] - a[1]).slice(0, 15))
    lines.push(`  ${ms(us)} ms ${pct(us)}  ${name}`);
  return lines.join('\n');
}

if (process.argv[1] && path.resolve(process.argv[1]) === fileURLToPath(import.meta.url)) {
  const [file, top] = process.argv.slice(2);
  if (!file) {
    console.error('usage: node bench/lib/profile-summary.mjs FILE.cpuprofile [top]');
    process.exit(2);
  }
  console.log(summarizeProfile(file, { top: top ? Number(top) : 25 }));
}
