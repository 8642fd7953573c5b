#!/usr/bin/env node
/**
 * The client-side benchmark: what it costs to read a fast stream (a model's
 * output, token by token) with the library's parser and client, against
 * `eventsource-parser` and the `eventsource` client, in one run. Only our
 * JSON row decodes the data (`JSON.parse`): the others hand on strings. Run with
 * `npm run bench` (after the server bench) or `node bench/client.mjs` once
 * `dist/` is built. Loopback only; every loop is bounded in count and time.
 *
 *   --events N   events per run (default 200000)
 *   --runs N     runs per contender (default 5; the table shows medians)
 */
import { spawn } from 'node:child_process';
import { once } from 'node:events';
import path from 'node:path';
import { fileURLToPath, pathToFileURL } from 'node:url';
import { parseArgs } from 'node:util';
import { createParser } from 'eventsource-parser';
import { EventSource } from 'eventsource';

const here = path.dirname(fileURLToPath(import.meta.url));
const dist = path.resolve(here, '../dist');
const { values: flags } = parseArgs({
  options: { events: { type: 'string', default: '200000' }, runs: { type: 'string', default: '5' } },
});
const EVENTS = Number(flags.events);
const RUNS = Number(flags.runs);
const DEADLINE_MS = 120_000;
const started = performance.now();

const { createEventStreamParser } = await import(pathToFileURL(path.join(dist, 'protocol/event-stream-parser.js')).href);
const { EventStreamClient } = await import(pathToFileURL(path.join(dist, 'client/index.js')).href);

/** A deterministic PRNG (mulberry32), so that every run splits the stream the same way. */
function random(seed) {
  return () => {
    seed = (seed + 0x6d2b79f5) | 0;
    let t = Math.imul(seed ^ (seed >>> 15), 1 | seed);
    t = (t + Math.imul(t ^ (t >>> 7), 61 | t)) ^ t;
    return ((t ^ (t >>> 14)) >>> 0) / 4294967296;
  };
}

function tokenFrame(n) {
  return `id: e.${n}\nevent: token\ndata: {"n":${n},"text":"tok${n % 97}"}\n\n`;
}

/** The stream as chunks of 1 to 4,096 characters, as a network would cut it. */
function chunkedStream(events) {
  const text = Array.from({ length: events }, (_, n) => tokenFrame(n)).join('');
  const next = random(42);
  const chunks = [];
  for (let at = 0; at < text.length; ) {
    const size = 1 + Math.floor(next() * 4096);
    chunks.push(text.slice(at, at + size));
    at += size;
  }
  return chunks;
}

function median(values) {
  const sorted = [...values].sort((a, b) => a - b);
  return sorted[Math.floor(sorted.length / 2)];
}

function timeUp() {
  return performance.now() - started > DEADLINE_MS;
}

/** Runs `once()` RUNS times (or until the deadline) and returns the median milliseconds. */
async function measure(name, once) {
  const times = [];
  for (let run = 0; run < RUNS && !timeUp(); run++) {
    const t0 = performance.now();
    const received = await once();
    times.push(performance.now() - t0);
    if (received !== EVENTS) throw new Error(`${name} received ${received} of ${EVENTS} events`);
  }
  return median(times);
}

function parseWith(chunks, make) {
  let received = 0;
  const feed = make(() => received++);
  for (const chunk of chunks) feed(chunk);
  return received;
}

// ---- Part 1: the parser alone, in process -------------------------------------------------
const chunks = chunkedStream(EVENTS);
const parserRows = [
  [
    'eventsource-parser 3.1.1',
    await measure('eventsource-parser', () =>
      parseWith(chunks, (count) => {
        const parser = createParser({ onEvent: count });
        return (chunk) => parser.feed(chunk);
      }),
    ),
  ],
  [
    'ours (createEventStreamParser)',
    await measure('ours', () =>
      parseWith(chunks, (count) => {
        const parser = createEventStreamParser({ event: count });
        return (chunk) => parser.feed(chunk);
      }),
    ),
  ],
];

// ---- Part 2: clients over loopback, against one raw node:http server in its own process ----
const server = spawn(process.execPath, [path.join(here, 'servers/token-stream.mjs')], {
  stdio: ['ignore', 'pipe', 'inherit', 'ipc'],
});
const [{ port }] = await once(server, 'message');
const url = (count) => `http://127.0.0.1:${port}/tokens?count=${count}`;

function readWithFetchAndParser() {
  return new Promise((resolve, reject) => {
    let received = 0;
    const parser = createParser({ onEvent: (event) => event.event === 'token' && received++ });
    fetch(url(EVENTS))
      .then(async (response) => {
        const decoder = new TextDecoder();
        for await (const bytes of response.body) parser.feed(decoder.decode(bytes, { stream: true }));
        resolve(received);
      })
      .catch(reject);
  });
}

function readWithEventSource() {
  return new Promise((resolve) => {
    let received = 0;
    const source = new EventSource(url(EVENTS));
    source.addEventListener('token', () => {
      if (++received === EVENTS) {
        source.close();
        resolve(received);
      }
    });
  });
}

function readWithOurClient(decode) {
  return new Promise((resolve) => {
    let received = 0;
    const client = new EventStreamClient(url(EVENTS), { decode });
    client.on('token', () => {
      if (++received === EVENTS) {
        client.close();
        resolve(received);
      }
    });
  });
}

const clientRows = [];
try {
  clientRows.push(['fetch + eventsource-parser (the limit)', await measure('fetch', readWithFetchAndParser)]);
  clientRows.push(['eventsource 4.1.1 (EventSource)', await measure('eventsource', readWithEventSource)]);
  clientRows.push(["ours (EventStreamClient, decode: 'text')", await measure('ours', () => readWithOurClient('text'))]);
  clientRows.push(['ours (EventStreamClient, JSON decoded)', await measure('ours', () => readWithOurClient('json'))]);
} finally {
  server.kill();
}

function table(title, rows) {
  const base = rows[0][1];
  console.log(`\n${title}`);
  console.log('| contender | ms (median) | events/s | vs first row |');
  console.log('|---|---:|---:|---:|');
  for (const [name, ms] of rows) {
    const rate = Math.round((EVENTS / ms) * 1000).toLocaleString('en-US');
    console.log(`| ${name} | ${ms.toFixed(1)} | ${rate} | ${(base / ms).toFixed(2)}× |`);
  }
}

console.log(`\n${EVENTS.toLocaleString('en-US')} events per run, ${RUNS} runs, Node ${process.version}`);
table('Parsing a chunked stream in process', parserRows);
table('Reading a stream from node:http over loopback', clientRows);
