#!/usr/bin/env node
/**
 * The cross-instance broker bench (issue 18): how long an event published on
 * instance A takes to reach the last of the clients of instance B, for each
 * broker, beside the in-memory hub, Nest's `@Sse()` and raw `node:http` (one
 * instance each: the floor), in one run. Run by `npm run bench` after the
 * broadcast bench, or alone with `npm run bench:brokers` (both build dist/
 * first). Talks to 127.0.0.1 only: the shared Redis (:6379), PostgreSQL
 * (:5432, database test) and NATS (:4222), and a private 3-master Redis
 * Cluster it starts and removes itself. A broker whose server does not answer
 * is skipped, and says so.
 *
 * Per contender: `--clients` SSE clients on B (default 200); `--rounds`
 * sequential publishes on A (default 200, after 20 to warm up), each timed
 * from the POST until every client has the event (p50, p95); then one burst of
 * `--burst` events (default 2000) published at once on A, timed until every
 * client has them all (events per second).
 */
import { createParser } from 'eventsource-parser';
import { randomBytes } from 'node:crypto';
import http from 'node:http';
import path from 'node:path';
import { fileURLToPath } from 'node:url';
import { parseArgs } from 'node:util';
import { removeBrokerNamespace } from './lib/broker-servers.mjs';
import { Child, installCleanup, killAll } from './lib/proc.mjs';
import { startRedisCluster } from './lib/redis-cluster.mjs';

const here = path.dirname(fileURLToPath(import.meta.url));
const { values: flags } = parseArgs({
  options: {
    clients: { type: 'string', default: '200' },
    rounds: { type: 'string', default: '200' },
    burst: { type: 'string', default: '2000' },
    only: { type: 'string' },
    verbose: { type: 'boolean', default: false },
  },
  strict: true,
});
const positive = (name) => {
  const value = Number(flags[name]);
  if (!Number.isSafeInteger(value) || value < 1 || value > 100_000) throw new Error(`--${name}: expected 1..100000`);
  return value;
};
const CLIENTS = positive('clients');
const ROUNDS = positive('rounds');
const BURST = positive('burst');
const WARMUP = 20;
const ROUND_TIMEOUT_MS = 10_000;
const BURST_TIMEOUT_MS = 120_000;
const BUDGET_MS = 600_000;
const started = Date.now();

/** `two`: A and B are separate instances sharing the broker; otherwise one process serves both. */
const contenders = [
  { id: 'raw', name: 'node:http (1 instance)', server: 'servers/raw-http.mjs', baseline: true },
  { id: 'nest', name: 'Nest @Sse() (1 instance)', server: 'servers/nest-builtin-sse.mjs' },
  {
    id: 'memory',
    name: 'nestjs-event-stream in memory (1 instance)',
    server: 'servers/nestjs-event-stream-broker.mjs',
  },
  { id: 'redis', name: 'Redis, A → B', url: 'redis://127.0.0.1:6379', two: true },
  { id: 'redis-cluster', name: 'Redis Cluster (3 masters), A → B', url: 'cluster', two: true },
  { id: 'postgres', name: 'PostgreSQL, A → B', url: 'postgres://postgres@127.0.0.1:5432/test', two: true },
  { id: 'nats', name: 'NATS JetStream, A → B', url: 'nats://127.0.0.1:4222', two: true },
].filter((c) => !flags.only || c.baseline || flags.only.split(',').includes(c.id));

function request(port, method, route, body) {
  return new Promise((resolve, reject) => {
    const text = body === undefined ? undefined : JSON.stringify(body);
    const req = http.request(
      { host: '127.0.0.1', port, method, path: route, headers: text ? { 'content-type': 'application/json' } : {} },
      (res) => {
        let data = '';
        res.on('data', (chunk) => (data += chunk));
        res.on('end', () =>
          res.statusCode < 300 ? resolve(data) : reject(new Error(`${method} ${route}: ${res.statusCode} ${data}`)),
        );
      },
    );
    req.setTimeout(BURST_TIMEOUT_MS, () => req.destroy(new Error(`${method} ${route}: no answer`)));
    req.once('error', reject);
    req.end(text);
  });
}

/** SSE clients of one instance, each counting the events it parsed. */
class Clients {
  constructor() {
    this.counts = [];
    this.requests = [];
    this.waiter = null;
  }

  async open(port, count) {
    const opening = [];
    for (let i = 0; i < count; i++) {
      const index = this.counts.push(0) - 1;
      const parser = createParser({ onEvent: () => this.received(index) });
      opening.push(
        new Promise((resolve, reject) => {
          const req = http.get({ host: '127.0.0.1', port, path: '/events', agent: false }, (res) => {
            if (res.statusCode !== 200) reject(new Error(`GET /events: ${res.statusCode}`));
            res.setEncoding('utf8');
            res.on('data', (chunk) => parser.feed(chunk));
            resolve();
          });
          req.setTimeout(ROUND_TIMEOUT_MS, () => req.destroy(new Error('GET /events: no answer')));
          req.once('error', reject);
          this.requests.push(req);
        }),
      );
    }
    await Promise.all(opening);
  }

  received(index) {
    this.counts[index]++;
    if (this.waiter && this.counts[index] === this.waiter.target && ++this.waiter.done === this.counts.length) {
      this.waiter.resolve();
    }
  }

  /** Resolves once every client has received `target` events in all. */
  until(target, timeoutMs) {
    const done = this.counts.filter((n) => n >= target).length;
    if (done === this.counts.length) return Promise.resolve();
    return new Promise((resolve, reject) => {
      const timer = setTimeout(() => {
        this.waiter = null;
        const behind = this.counts.filter((n) => n < target).length;
        reject(
          new Error(`${behind} of ${this.counts.length} clients did not get event ${target} within ${timeoutMs} ms`),
        );
      }, timeoutMs);
      this.waiter = { target, done, resolve: () => (clearTimeout(timer), (this.waiter = null), resolve()) };
    });
  }

  close() {
    for (const req of this.requests) req.destroy();
  }
}

async function startServer(contender, label, env) {
  const child = new Child(path.resolve(here, contender.server ?? 'servers/nestjs-event-stream-broker.mjs'), {
    label,
    env,
    fileLimit: 4096,
    verbose: flags.verbose,
  });
  const notice = await child.waitForNotice(30_000);
  if (notice.type === 'skip') throw new Error(`skipped: ${notice.reason}`);
  child.port = notice.port;
  return child;
}

const quantile = (sorted, q) => sorted[Math.min(sorted.length - 1, Math.floor(q * sorted.length))];

async function measure(contender, brokerUrl) {
  const env = { BENCH_BROKER_URL: brokerUrl ?? '', BENCH_NAMESPACE: `bench_${randomBytes(4).toString('hex')}` };
  const children = [];
  const clients = new Clients();
  try {
    children.push(await startServer(contender, `${contender.id} A`, env));
    if (contender.two) children.push(await startServer(contender, `${contender.id} B`, env));
    const a = children[0].port;
    const b = children[children.length - 1].port;
    await clients.open(b, CLIENTS);
    let sent = 0;
    const publish = async (count) => {
      sent += count;
      await request(a, 'POST', '/publish', { data: { at: Date.now() }, count });
    };
    // The first event may wait for subscriptions to settle: a generous first timeout.
    await publish(1);
    await clients.until(sent, BURST_TIMEOUT_MS);
    for (let i = 1; i < WARMUP; i++) {
      await publish(1);
      await clients.until(sent, ROUND_TIMEOUT_MS);
    }
    const latencies = [];
    for (let i = 0; i < ROUNDS && Date.now() - started < BUDGET_MS; i++) {
      const t0 = performance.now();
      await publish(1);
      await clients.until(sent, ROUND_TIMEOUT_MS);
      latencies.push(performance.now() - t0);
    }
    const t0 = performance.now();
    await publish(BURST);
    await clients.until(sent, BURST_TIMEOUT_MS);
    const burstMs = performance.now() - t0;
    if (latencies.length === 0) throw new Error('the time budget ran out before the first timed round');
    latencies.sort((x, y) => x - y);
    return {
      p50: quantile(latencies, 0.5),
      p95: quantile(latencies, 0.95),
      rate: (BURST / burstMs) * 1000,
      rounds: latencies.length,
    };
  } finally {
    clients.close();
    await Promise.all(children.map((child) => child.stop(2000)));
    // What the run stored on a shared server goes with it (a private cluster is removed whole).
    if (brokerUrl && contender.url !== 'cluster') {
      await removeBrokerNamespace(brokerUrl, env.BENCH_NAMESPACE).catch((error) =>
        process.stderr.write(`bench brokers: could not remove ${env.BENCH_NAMESPACE}: ${error?.message ?? error}\n`),
      );
    }
  }
}

installCleanup();
const results = [];
let cluster;
try {
  for (const contender of contenders) {
    if (Date.now() - started > BUDGET_MS) {
      results.push({ contender, error: 'skipped: the time budget ran out' });
      continue;
    }
    try {
      let url = contender.url;
      if (url === 'cluster') {
        cluster = await startRedisCluster();
        url = cluster.url;
      }
      process.stderr.write(`bench brokers: ${contender.name}...\n`);
      results.push({ contender, ...(await measure(contender, url)) });
    } catch (error) {
      results.push({ contender, error: String(error?.message ?? error).split('\n')[0] });
    } finally {
      await cluster?.stop();
      cluster = undefined;
    }
  }
} finally {
  killAll();
}

const base = results.find((r) => r.contender.baseline && !r.error);
const fmt = (n, digits = 1) => n.toFixed(digits);
const lines = [
  `Cross-instance delivery: publish on A → the last of ${CLIENTS} clients on B; up to ${ROUNDS} sequential rounds (timed: "rounds"), then a burst of ${BURST}`,
  '',
  '| contender | rounds | p50 ms | p95 ms | p50 × node:http | burst events/s | burst × node:http |',
  '| --- | ---: | ---: | ---: | ---: | ---: | ---: |',
];
for (const r of results) {
  if (r.error) {
    lines.push(`| ${r.contender.name} | – | – | – | – | – | ${r.error} |`);
    continue;
  }
  const ratio = (value, of) => (base ? `${fmt(value / of, 2)}×` : '–');
  lines.push(
    `| ${r.contender.name} | ${r.rounds} | ${fmt(r.p50, 2)} | ${fmt(r.p95, 2)} | ${ratio(r.p50, base?.p50)} | ${fmt(r.rate, 0)} | ${ratio(r.rate, base?.rate)} |`,
  );
}
process.stdout.write(`${lines.join('\n')}\n`);
process.exit(results.some((r) => r.error && !/^skipped/.test(r.error)) ? 1 : 0);
