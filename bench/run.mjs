#!/usr/bin/env node
/**
 * The SSE broadcast benchmark (issue 8): every contender of contenders.mjs in
 * its own server process, driven by load clients in their own processes,
 * orchestrated from here. Run with `npm run bench` (builds dist/ first) or
 * `npm run bench -- --quick`. See bench/README.md for how to read the table.
 *
 * Options:
 *   --quick              smoke run: 1 run, 200 / 1,000 clients, 200 events
 *   --runs N             runs per contender (default 3; the table shows medians)
 *   --only a,b           contender ids to run (the baseline is always added)
 *   --small N  --big N   client counts of the two broadcasts (default 1000, 10000)
 *   --events N           events of the throughput phase (default 2000)
 *   --concurrency N      connections opening at once (default 256)
 *   --load-procs N       load-client processes (default 1)
 *   --profile            CPU-profile the servers during the big broadcast and
 *                        the throughput phase (bench/profiles/); implies 1 run
 *   --profile-repeat N   broadcasts inside the broadcast profile (default 20)
 *   --verbose            show the children's output
 *   --json FILE          where to write the results (default bench/results/latest.json)
 *   --contenders FILE    another contender list (same shape as contenders.mjs), e.g. for A/B runs
 *   --report FILE        print the table of a results file again (runs nothing)
 */
import { mkdirSync, readFileSync, writeFileSync } from 'node:fs';
import http from 'node:http';
import os from 'node:os';
import path from 'node:path';
import { fileURLToPath, pathToFileURL } from 'node:url';
import { parseArgs } from 'node:util';
import { nowMs } from './lib/ipc.mjs';
import { Child, fileLimit, installCleanup, killAll, withTimeout } from './lib/proc.mjs';
import { summarizeProfile } from './lib/profile-summary.mjs';
import { median, metricDefinitions, percentile, renderTable } from './lib/report.mjs';

const here = path.dirname(fileURLToPath(import.meta.url));

const { values: flags } = parseArgs({
  options: {
    quick: { type: 'boolean', default: false },
    runs: { type: 'string' },
    only: { type: 'string' },
    small: { type: 'string' },
    big: { type: 'string' },
    events: { type: 'string' },
    concurrency: { type: 'string' },
    'load-procs': { type: 'string' },
    profile: { type: 'boolean', default: false },
    'profile-repeat': { type: 'string' },
    verbose: { type: 'boolean', default: false },
    json: { type: 'string' },
    contenders: { type: 'string' },
    report: { type: 'string' },
  },
  strict: true,
});

function int(name, fallback) {
  const raw = flags[name];
  if (raw === undefined) return fallback;
  const value = Number(raw);
  if (!Number.isSafeInteger(value) || value < 1) throw new Error(`--${name} must be a positive integer, got ${raw}`);
  return value;
}

const limit = fileLimit();
const quick = flags.quick;
const config = {
  quick,
  runs: flags.profile ? 1 : int('runs', quick ? 1 : 3),
  smallClients: int('small', quick ? 200 : 1000),
  bigClients: int('big', quick ? 1000 : 10_000),
  events: int('events', quick ? 200 : 2000),
  concurrency: int('concurrency', 256),
  loadProcs: int('load-procs', 1),
  profile: flags.profile,
  profileRepeat: int('profile-repeat', 20),
  fileLimit: limit,
  /** The whole bench gives up (and prints what it has) past this. */
  budgetMs: quick ? 170_000 : 900_000,
};
config.throughputClients = config.smallClients;
/** The publish with a stalled client is smaller: it checks delivery to the others, and keeps the full run short. */
config.stalledEvents = Math.max(1, Math.ceil(config.events / 4));
const perProcess = Math.ceil(config.bigClients / config.loadProcs) + 1 + 64;
if (perProcess > limit || config.bigClients + 64 > limit) {
  const fitted = Math.max(100, limit - 200);
  process.stderr.write(
    `bench: open-file limit ${limit} (ulimit -Hn) is too low for ${config.bigClients} connections; using ${fitted}.\n`,
  );
  config.bigClients = Math.min(config.bigClients, fitted);
}

const { contenders: allContenders } = await import(
  flags.contenders ? pathToFileURL(path.resolve(flags.contenders)).href : './contenders.mjs'
);
let contenders = allContenders;
if (flags.only) {
  const wanted = new Set(flags.only.split(',').map((id) => id.trim()));
  const unknown = [...wanted].filter((id) => !allContenders.some((contender) => contender.id === id));
  if (unknown.length)
    throw new Error(
      `--only: unknown contender(s) ${unknown.join(', ')}; known: ${allContenders.map((c) => c.id).join(', ')}`,
    );
  contenders = allContenders.filter((contender) => contender.baseline || wanted.has(contender.id));
}

const startedAt = nowMs();
const deadline = startedAt + config.budgetMs;
const PROFILE_DIR = path.join(here, 'profiles');
const log = (text) => process.stderr.write(`${text}\n`);

// ---------------------------------------------------------------- HTTP to servers

function httpJson(port, method, pathname, body, timeoutMs = 30_000) {
  return withTimeout(
    new Promise((resolve, reject) => {
      const text = body === undefined ? undefined : JSON.stringify(body);
      const request = http.request(
        {
          host: '127.0.0.1',
          port,
          method,
          path: pathname,
          agent: false,
          headers: text ? { 'Content-Type': 'application/json', 'Content-Length': Buffer.byteLength(text) } : {},
        },
        (response) => {
          const chunks = [];
          response.on('data', (chunk) => chunks.push(chunk));
          response.on('end', () => {
            const raw = Buffer.concat(chunks).toString('utf8');
            if (response.statusCode < 200 || response.statusCode >= 300) {
              reject(new Error(`${method} ${pathname}: ${response.statusCode} ${raw.slice(0, 300)}`));
              return;
            }
            try {
              resolve(JSON.parse(raw));
            } catch (error) {
              reject(new Error(`${method} ${pathname}: not JSON (${error.message}): ${raw.slice(0, 200)}`));
            }
          });
          response.on('error', reject);
        },
      );
      request.on('error', reject);
      request.end(text);
    }),
    timeoutMs,
    `${method} ${pathname}`,
  );
}

const stats = (port, query = '') => httpJson(port, 'GET', `/stats${query ? `?${query}` : ''}`);

// ---------------------------------------------------------------- processes

function checkBudget(what) {
  if (nowMs() > deadline) throw new Error(`time budget of ${config.budgetMs / 1000} s exceeded before ${what}`);
}

class SkipContender extends Error {}

async function startServer(contender) {
  const server = new Child(path.resolve(here, contender.server), {
    label: `server ${contender.id}`,
    nodeArgs: ['--expose-gc'],
    env: contender.env,
    fileLimit: limit,
    verbose: flags.verbose,
  });
  try {
    const notice = await server.waitForNotice(30_000);
    if (notice.type === 'skip') throw new SkipContender(notice.reason);
    server.port = notice.port;
    return server;
  } catch (error) {
    await server.stop();
    throw error;
  }
}

async function startLoadClients() {
  const clients = [];
  try {
    for (let i = 0; i < config.loadProcs; i++) {
      const client = new Child(path.join(here, 'load-client.mjs'), {
        label: `load client ${i + 1}`,
        fileLimit: limit,
        verbose: flags.verbose,
      });
      clients.push(client);
      await client.waitForNotice(15_000);
    }
    return clients;
  } catch (error) {
    await Promise.all(clients.map((client) => client.stop()));
    throw error;
  }
}

/** Runs `body` with a fresh server and fresh load clients, and stops them all afterwards, whatever happens. */
async function withInstance(contender, body) {
  checkBudget(`starting ${contender.id}`);
  const server = await startServer(contender);
  let clients = [];
  try {
    clients = await startLoadClients();
    return await body({ server, clients, port: server.port });
  } finally {
    await Promise.all(clients.map((client) => client.call('closeAll', {}, 10_000).catch(() => {})));
    await Promise.all(clients.map((client) => client.stop()));
    await server.stop();
  }
}

// ---------------------------------------------------------------- phases

/** Opens `n` streams spread over the load clients, `concurrency` at a time in total. */
async function connect({ clients, port }, n, { stalled = false } = {}) {
  const timeoutMs = 20_000 + n * 5;
  const shares = clients.map((_, i) => Math.floor(n / clients.length) + (i < n % clients.length ? 1 : 0));
  const concurrency = Math.max(1, Math.floor(config.concurrency / clients.length));
  const results = await Promise.all(
    clients.map((client, i) =>
      shares[i] === 0
        ? { opened: 0, failed: 0, ms: 0, errors: {} }
        : client.call('connect', { port, n: shares[i], concurrency, stalled, timeoutMs }, timeoutMs + 10_000),
    ),
  );
  const opened = results.reduce((sum, result) => sum + result.opened, 0);
  const ms = Math.max(...results.map((result) => result.ms));
  const clientCpuMs = results.reduce((sum, result) => sum + (result.clientCpuMs ?? 0), 0);
  const errors = {};
  for (const result of results)
    for (const [key, count] of Object.entries(result.errors)) errors[key] = (errors[key] ?? 0) + count;
  if (opened < n) {
    const message = `${n - opened} of ${n} connections failed to open: ${JSON.stringify(errors)}`;
    // A few failures on a loaded machine are noted; more make the figures meaningless.
    if (n - opened > Math.max(1, n * 0.01)) throw new Error(message);
    log(`    ! ${message}`);
  }
  return { opened, failed: n - opened, ms, errors, clientCpuMs };
}

async function settle({ clients }) {
  await Promise.all(clients.map((client) => client.call('settle', { quietMs: 100, maxMs: 3000 }, 10_000)));
}

/** The data of a measured publish: the send timestamp `t`, padded to about 100 bytes of JSON. */
function payload(t) {
  const base = JSON.stringify({ t, pad: '' }).length;
  return { t, pad: 'x'.repeat(Math.max(0, 100 - base)) };
}

/**
 * One measured publish: marks the server's stats window, arms the clients to
 * expect `count` frames each, POSTs /publish with `{ data: { t, pad }, count }`,
 * and waits until every client has them (or none progressed for a while).
 */
async function measure({ clients, port }, count, { timeoutMs = 60_000 } = {}) {
  const before = await stats(port, 'mark=1');
  const idleMs = 10_000;
  await Promise.all(clients.map((client) => client.call('arm', { count, idleMs, timeoutMs })));
  const reports = Promise.all(clients.map((client) => client.call('wait', {}, timeoutMs + 15_000)));
  reports.catch(() => {});
  const t0 = nowMs();
  let published;
  try {
    published = await httpJson(port, 'POST', '/publish', { data: payload(t0), count }, timeoutMs);
  } finally {
    await Promise.all(clients.map((client) => client.call('posted').catch(() => {})));
  }
  const postedMs = nowMs() - t0;
  const results = await reports;
  const after = await stats(port);
  const latencies = results.flatMap((result) => result.latencies).sort((a, b) => a - b);
  const sum = (key) => results.reduce((total, result) => total + result[key], 0);
  const lastDoneAt = Math.max(...results.map((result) => result.lastDoneAt));
  const outcome = {
    count,
    sockets: sum('sockets'),
    expected: sum('expected'),
    received: sum('received'),
    lost: sum('lost'),
    extra: sum('extra'),
    closedEarly: sum('closedEarly'),
    noTimestamp: sum('noTimestamp'),
    reasons: [...new Set(results.map((result) => result.reason))].join(','),
    lastMs: lastDoneAt > 0 ? lastDoneAt - t0 : undefined,
    p50Ms: percentile(latencies, 50),
    p99Ms: percentile(latencies, 99),
    maxMs: latencies.at(-1),
    cpuMs: after.cpuMs - before.cpuMs,
    blockMs: after.loopBlockMaxMs ?? undefined,
    syncMs: after.lastPublish?.syncMs ?? published?.syncMs,
    postedMs,
    connections: after.connections,
  };
  if (outcome.lost || outcome.extra || outcome.reasons !== 'complete') {
    log(
      `    ! ${count} event(s) to ${outcome.sockets} clients: ${outcome.lost} lost, ${outcome.extra} unexpected, ` +
        `${outcome.closedEarly} closed early, ended by ${outcome.reasons}`,
    );
  }
  return outcome;
}

async function profiled(server, contender, phase, body) {
  if (!config.profile) return body();
  mkdirSync(PROFILE_DIR, { recursive: true });
  const file = path.join(PROFILE_DIR, `${contender.id}-${phase}.cpuprofile`);
  await server.call('profileStart', { intervalUs: 100 });
  try {
    return await body();
  } finally {
    await server.call('profileStop', { file }, 60_000);
    profiles.push({ contender: contender.id, phase, file });
  }
}

const profiles = [];

/** Phases (a) at 10k, (c) and (d): many idle connections, then a broadcast to all of them. */
async function bigInstance(contender, metrics, lost) {
  await withInstance(contender, async (instance) => {
    const { port } = instance;
    const n = config.bigClients;
    const empty = await stats(port, 'gc=1');
    log(`    connecting ${n.toLocaleString('en-US')} clients`);
    const opened = await profiled(instance.server, contender, `accept-${n}`, () => connect(instance, n));
    const connected = await stats(port);
    metrics['accept.perSec'] = opened.failed === 0 ? (opened.opened / opened.ms) * 1000 : undefined;
    metrics['accept.cpuUsPerConn'] = ((connected.cpuMs - empty.cpuMs) * 1000) / opened.opened;
    metrics['accept.clientCpuShare'] = opened.clientCpuMs / opened.ms;
    await settle(instance);
    const full = await stats(port, 'gc=1');
    if (full.connections !== opened.opened)
      log(`    ! server counts ${full.connections} streams, ${opened.opened} opened`);
    metrics['idle.rssPerConnKb'] = (full.rss - empty.rss) / opened.opened / 1024;
    metrics['idle.heapPerConnKb'] = (full.heapUsed - empty.heapUsed) / opened.opened / 1024;
    metrics['idle.baseRssMb'] = empty.rss / 2 ** 20;
    for (let i = 0; i < 2; i++) lost.add(await measure(instance, 1)); // warm-up (JIT)
    const broadcast = await profiled(instance.server, contender, `broadcast-${n}`, async () => {
      const first = await measure(instance, 1);
      for (let i = 1; config.profile && i < config.profileRepeat; i++) lost.add(await measure(instance, 1));
      return first;
    });
    lost.add(broadcast);
    for (const key of ['lastMs', 'p50Ms', 'p99Ms', 'cpuMs', 'blockMs', 'syncMs'])
      metrics[`big.${key}`] = broadcast[key];
    log(
      `    accepts ${Math.round(metrics['accept.perSec'] ?? 0)}/s (server ${metrics['accept.cpuUsPerConn'].toFixed(0)} µs CPU/conn, ` +
        `load client busy ${(100 * metrics['accept.clientCpuShare']).toFixed(0)}%), RSS/conn ${metrics['idle.rssPerConnKb'].toFixed(1)} KiB, ` +
        `broadcast to ${n}: last ${broadcast.lastMs?.toFixed(1)} ms, cpu ${broadcast.cpuMs.toFixed(1)} ms, block ${broadcast.blockMs?.toFixed(1)} ms`,
    );
  });
}

/** Phases (a) at 1k, (b) and (e): a broadcast, the throughput run, then the same with one stalled client. */
async function smallInstance(contender, metrics, lost) {
  await withInstance(contender, async (instance) => {
    const n = config.smallClients;
    log(`    connecting ${n.toLocaleString('en-US')} clients`);
    const opened = await connect(instance, n);
    await settle(instance);
    for (let i = 0; i < 5; i++) lost.add(await measure(instance, 1)); // warm-up (JIT)
    const broadcast = await measure(instance, 1);
    lost.add(broadcast);
    for (const key of ['lastMs', 'p50Ms', 'p99Ms', 'cpuMs', 'blockMs', 'syncMs'])
      metrics[`small.${key}`] = broadcast[key];

    const timeoutMs = 180_000;
    lost.add(await measure(instance, Math.min(100, config.events), { timeoutMs }));
    const throughput = await profiled(instance.server, contender, 'throughput', () =>
      measure(instance, config.events, { timeoutMs }),
    );
    lost.add(throughput);
    const delivered = throughput.received;
    metrics['tput.lastMs'] = throughput.lastMs;
    metrics['tput.eventsPerSec'] = throughput.lastMs ? (delivered / throughput.lastMs) * 1000 : undefined;
    metrics['tput.cpuMs'] = throughput.cpuMs;
    metrics['tput.blockMs'] = throughput.blockMs;

    const stalled = await connect({ ...instance, clients: instance.clients.slice(0, 1) }, 1, { stalled: true });
    if (stalled.opened !== 1) throw new Error('the stalled client could not connect');
    await settle(instance);
    const withStall = await measure(instance, config.stalledEvents, { timeoutMs });
    metrics['stalled.lost'] = withStall.lost + withStall.extra;
    metrics['stalled.eventsPerSec'] = withStall.lastMs ? (withStall.received / withStall.lastMs) * 1000 : undefined;
    const counts = await instance.clients[0].call('counts');
    metrics['stalled.stillOpen'] = counts.stalled;
    log(
      `    broadcast to ${opened.opened}: last ${broadcast.lastMs?.toFixed(1)} ms; throughput ` +
        `${Math.round(metrics['tput.eventsPerSec'] ?? 0).toLocaleString('en-US')} ev/s in ${throughput.lastMs?.toFixed(0)} ms; ` +
        `with a stalled client ${Math.round(metrics['stalled.eventsPerSec'] ?? 0).toLocaleString('en-US')} ev/s, ` +
        `${metrics['stalled.lost']} lost (stalled one ${counts.stalled ? 'still connected' : 'disconnected'})`,
    );
  });
}

async function benchContender(contender) {
  const metrics = {};
  const tally = { expected: 0, lost: 0 };
  const lost = {
    add: (outcome) => ((tally.expected += outcome.expected), (tally.lost += outcome.lost + outcome.extra)),
  };
  await bigInstance(contender, metrics, lost);
  await smallInstance(contender, metrics, lost);
  metrics['lost.total'] = tally.lost;
  metrics['lost.expected'] = tally.expected;
  return metrics;
}

// ---------------------------------------------------------------- main

function machine() {
  const cpus = os.cpus();
  return {
    cpu: cpus[0]?.model?.trim() ?? 'unknown',
    cores: cpus.length,
    memoryGb: Math.round(os.totalmem() / 2 ** 30),
    node: process.version,
    os: `${os.type()} ${os.release()}`,
    loadAverage: os
      .loadavg()
      .map((value) => value.toFixed(2))
      .join(' '),
    fileLimit: limit,
  };
}

function printHeader(host, config, date) {
  console.log(`nestjs-event-stream bench — ${date}`);
  console.log(`machine: ${host.cpu}, ${host.cores} cores, ${host.memoryGb} GiB, ${host.os}, Node ${host.node}`);
  console.log(`load average at start: ${host.loadAverage}; open-file limit per process: ${host.fileLimit}`);
  console.log(
    `config: ${config.quick ? 'quick, ' : ''}${config.runs} run(s) (median shown), broadcasts to ${config.smallClients} and ` +
      `${config.bigClients} clients, throughput ${config.throughputClients} × ${config.events} events, ` +
      `${config.concurrency} connections opening at once, ${config.loadProcs} load process(es)` +
      `${config.profile ? ', PROFILING (figures include profiler overhead)' : ''}`,
  );
  console.log('');
}

function printResults({ config, contenders, figures, failures, aborted }) {
  console.log(renderTable(metricDefinitions(config), contenders, figures));
  console.log('');
  console.log('↓ lower is better, ↑ higher is better; (n×) = ratio to node:http measured in the same run(s).');
  for (const contender of contenders) {
    const figure = figures[contender.id];
    if (figure.skipped) {
      console.log(`${contender.name}: skipped (${figure.skipped})`);
      continue;
    }
    console.log(
      `${contender.name}: ${figure.runs} run(s); ${figure['lost.expected']?.toLocaleString('en-US') ?? 0} events expected per run; ` +
        `idle RSS before connecting ${figure['idle.baseRssMb']?.toFixed(0) ?? '?'} MiB; stalled client ${figure['stalled.stillOpen'] ? 'kept' : 'disconnected'}`,
    );
  }
  for (const failure of failures)
    console.log(`FAILED ${failure.contender} run ${failure.run}: ${failure.error.split('\n')[0]}`);
  if (aborted) console.log(`ABORTED: ${aborted}`);
}

async function main() {
  if (flags.report) {
    const saved = JSON.parse(readFileSync(flags.report, 'utf8'));
    printHeader(saved.machine, saved.config, saved.startedAt ?? saved.date);
    printResults(saved);
    return true;
  }
  installCleanup();
  const host = machine();
  const date = new Date().toISOString();
  printHeader(host, config, date);

  const runs = Object.fromEntries(contenders.map((contender) => [contender.id, []]));
  const failures = [];
  const skipped = {};
  let aborted;
  outer: for (let run = 0; run < config.runs; run++) {
    // Rotate the order from run to run so that no contender always goes first.
    const order = contenders.map((_, i) => contenders[(i + run) % contenders.length]);
    for (const contender of order) {
      if (skipped[contender.id]) continue;
      log(`run ${run + 1}/${config.runs} · ${contender.name}`);
      try {
        runs[contender.id].push(await benchContender(contender));
      } catch (error) {
        if (error instanceof SkipContender) {
          skipped[contender.id] = error.message;
          log(`    skipped: ${error.message}`);
          continue;
        }
        const message = String(error?.message ?? error);
        failures.push({ contender: contender.id, run: run + 1, error: message });
        log(`    FAILED: ${message}`);
        if (message.includes('time budget')) {
          aborted = message;
          break outer;
        }
      }
    }
  }

  const definitions = metricDefinitions(config);
  const extraKeys = ['idle.baseRssMb', 'lost.expected', 'stalled.stillOpen', 'accept.clientCpuShare'];
  const figures = {};
  for (const contender of contenders) {
    const perRun = runs[contender.id];
    const figure = (figures[contender.id] = { runs: perRun.length });
    if (skipped[contender.id]) figure.skipped = skipped[contender.id];
    for (const definition of definitions) {
      const values = perRun.map((metrics) => metrics[definition.key]).filter((value) => value !== undefined);
      figure[definition.key] = definition.sum
        ? values.length
          ? values.reduce((a, b) => a + b, 0)
          : undefined
        : median(values);
    }
    for (const key of extraKeys)
      figure[key] = median(perRun.map((metrics) => metrics[key]).filter((v) => v !== undefined));
  }

  printResults({ config, contenders, figures, failures, aborted });
  if (profiles.length) {
    console.log('');
    for (const profile of profiles) {
      console.log(`CPU profile ${profile.contender} ${profile.phase}: ${path.relative(process.cwd(), profile.file)}`);
      console.log(summarizeProfile(profile.file, { top: 25 }));
      console.log('');
    }
  }

  const output = flags.json ?? path.join(here, 'results', 'latest.json');
  mkdirSync(path.dirname(output), { recursive: true });
  writeFileSync(
    output,
    JSON.stringify(
      {
        startedAt: date,
        date: new Date().toISOString(),
        loadAverageAtEnd: machine().loadAverage,
        machine: host,
        config,
        contenders,
        figures,
        runs,
        failures,
        skipped,
        aborted,
        profiles,
      },
      null,
      2,
    ),
  );
  console.log(`\nresults: ${path.relative(process.cwd(), output)} · ${((nowMs() - startedAt) / 1000).toFixed(0)} s`);
  return failures.length === 0 && !aborted;
}

main().then(
  (ok) => {
    killAll();
    process.exit(ok ? 0 : 1);
  },
  (error) => {
    process.stderr.write(`bench: ${error?.stack ?? error}\n`);
    killAll();
    process.exit(1);
  },
);
