/**
 * The load client: many event-stream connections on raw `net` sockets, cheap
 * enough that the bench measures the server, not this process.
 *
 * - A connection writes the GET request bytes, reads the HTTP response head
 *   (status 200 required) and is "open" from then on.
 * - It counts SSE frames by finding "\n\n" in the raw bytes (Buffer#indexOf,
 *   native), carrying a trailing "\n" over to the next chunk. Nothing else is
 *   parsed, except the `"t":` timestamp in the first frame of a measurement,
 *   from which it computes that client's latency.
 * - Driven by bench/run.mjs through IPC: connect, settle, arm, posted, wait,
 *   closeAll. Timestamps are process.hrtime (CLOCK_MONOTONIC, shared by all
 *   processes of the machine).
 */
import net from 'node:net';
import { nowMs, serveRpc } from './lib/ipc.mjs';

const LF = 0x0a;
const FRAME_END = Buffer.from('\n\n');
const HEAD_END = '\r\n\r\n';
const T_FIELD = /"t":(-?[\d.]+(?:e[+-]?\d+)?)[,}]/;

/** @type {Set<Connection>} */
const connections = new Set();
/** Bytes or frames arrived since the last check (settle and idle detection). */
let activity = 0;
/** The running measurement, if any. */
let measurement = null;
/** What the last armed measurement resolves to (also when it finished at once). */
let lastDone = null;

class Connection {
  constructor(socket, stalled) {
    this.socket = socket;
    this.stalled = stalled;
    this.open = false;
    this.closed = false;
    this.head = '';
    this.frames = 0;
    this.bytes = 0;
    this.tailLF = false;
    // Measurement state.
    this.armed = false;
    this.base = 0;
    this.doneAt = 0;
    this.t = Number.NaN;
    this.scan = '';
  }

  /** Counts the frames in `buffer` from `start` on. */
  count(buffer, start) {
    const length = buffer.length;
    let frames = 0;
    let from = start;
    if (this.tailLF && from < length && buffer[from] === LF) {
      frames++;
      from++;
    }
    for (;;) {
      const at = buffer.indexOf(FRAME_END, from);
      if (at === -1) break;
      frames++;
      from = at + 2;
    }
    this.tailLF = length > start && buffer[length - 1] === LF && from !== length;
    this.frames += frames;
    this.bytes += length - start;
    activity++;
    const m = measurement;
    if (m && this.armed && this.doneAt === 0) {
      if (Number.isNaN(this.t)) this.findTimestamp(buffer, start);
      if (this.frames - this.base >= m.count) {
        this.doneAt = nowMs();
        m.remaining--;
        if (m.remaining === 0) m.finish('complete');
      }
    }
  }

  /** Reads `"t":<ms>` from the first frame after arming (it may span chunks). */
  findTimestamp(buffer, start) {
    if (this.scan.length > 4096) return;
    this.scan += buffer.latin1Slice(start, Math.min(buffer.length, start + 1024));
    const match = T_FIELD.exec(this.scan);
    if (match) {
      this.t = Number.parseFloat(match[1]);
      this.scan = '';
    }
  }
}

/** Opens one stream; resolves once its response head (200) has arrived. */
function openOne(port, path, stalled, timeoutMs) {
  return new Promise((resolve, reject) => {
    const socket = net.connect({ port, host: '127.0.0.1' });
    const connection = new Connection(socket, stalled);
    let settled = false;
    const fail = (error) => {
      if (settled) return;
      settled = true;
      clearTimeout(timer);
      socket.destroy();
      reject(error);
    };
    const timer = setTimeout(() => fail(Object.assign(new Error('open timed out'), { code: 'TIMEOUT' })), timeoutMs);
    socket.write(
      `GET ${path} HTTP/1.1\r\nHost: 127.0.0.1:${port}\r\nAccept: text/event-stream\r\nCache-Control: no-cache\r\n\r\n`,
    );
    socket.on('data', (buffer) => {
      if (connection.open) return connection.count(buffer, 0);
      const before = connection.head.length;
      connection.head += buffer.latin1Slice(0, Math.min(buffer.length, 8192));
      const end = connection.head.indexOf(HEAD_END);
      if (end === -1) {
        if (connection.head.length > 16384) fail(new Error('response head too long'));
        return;
      }
      const status = connection.head.slice(0, connection.head.indexOf('\r\n'));
      if (!/^HTTP\/1\.[01] 200/.test(status)) return fail(new Error(`status ${status}`));
      connection.open = true;
      settled = true;
      clearTimeout(timer);
      const bodyStart = end + 4 - before; // latin1: one character per byte
      connection.head = '';
      connections.add(connection);
      if (stalled)
        socket.pause(); // never reads again: the kernel buffers fill, then the server's
      else if (bodyStart < buffer.length) connection.count(buffer, bodyStart);
      resolve(connection);
    });
    socket.on('error', (error) => fail(error));
    socket.on('close', () => {
      connection.closed = true;
      connections.delete(connection);
      fail(new Error('closed before the response head'));
      const m = measurement;
      if (m && connection.armed && connection.doneAt === 0) {
        m.closedEarly++;
        m.remaining--;
        if (m.remaining === 0) m.finish('complete');
      }
    });
  });
}

/** Opens `n` streams, at most `concurrency` connecting at a time. */
async function connect({ port, path = '/events', n, concurrency = 256, stalled = false, timeoutMs = 60_000 }) {
  const cpu = process.cpuUsage();
  const start = nowMs();
  const deadline = start + timeoutMs;
  let started = 0;
  let opened = 0;
  let lastOpenAt = start;
  const errors = new Map();
  const worker = async () => {
    while (started < n) {
      const left = deadline - nowMs();
      if (left <= 0) break;
      started++;
      try {
        await openOne(port, path, stalled, left);
        opened++;
        lastOpenAt = nowMs();
      } catch (error) {
        const key = error.code ?? error.message;
        errors.set(key, (errors.get(key) ?? 0) + 1);
      }
    }
  };
  await Promise.all(Array.from({ length: Math.max(1, Math.min(concurrency, n)) }, worker));
  if (started < n) errors.set('not tried before the deadline', n - started);
  return {
    opened,
    failed: n - opened,
    ms: lastOpenAt - start,
    errors: Object.fromEntries(errors),
    open: connections.size,
    clientCpuMs: (() => {
      const used = process.cpuUsage(cpu);
      return (used.user + used.system) / 1000;
    })(),
  };
}

/** Waits until no byte has arrived for `quietMs` (at most `maxMs`): stray first frames are in. */
async function settle({ quietMs = 100, maxMs = 3000 }) {
  const start = nowMs();
  let seen = activity;
  let quietSince = nowMs();
  while (nowMs() - start < maxMs) {
    await new Promise((resolve) => setTimeout(resolve, 20));
    if (activity !== seen) {
      seen = activity;
      quietSince = nowMs();
    } else if (nowMs() - quietSince >= quietMs) {
      return { quiet: true, ms: nowMs() - start };
    }
  }
  return { quiet: false, ms: nowMs() - start };
}

/**
 * Starts a measurement: every open, reading connection must receive `count`
 * more frames. `wait` answers when all have, when none progressed for
 * `idleMs` after the publish was answered, or after `timeoutMs`.
 */
function arm({ count, idleMs = 10_000, timeoutMs = 120_000 }) {
  if (measurement) throw new Error('a measurement is already running');
  const armed = [];
  for (const connection of connections) {
    if (connection.stalled || connection.closed) continue;
    connection.armed = true;
    connection.base = connection.frames;
    connection.doneAt = 0;
    connection.t = Number.NaN;
    connection.scan = '';
    armed.push(connection);
  }
  let resolveDone;
  const done = new Promise((resolve) => (resolveDone = resolve));
  const m = {
    count,
    armed,
    remaining: armed.length,
    closedEarly: 0,
    postedAt: 0,
    done,
    finish: (reason) => {
      clearInterval(watchdog);
      measurement = null;
      resolveDone(report(m, reason));
    },
  };
  const armedAt = nowMs();
  let seen = activity;
  let lastProgressAt = armedAt;
  const watchdog = setInterval(() => {
    const now = nowMs();
    if (activity !== seen) {
      seen = activity;
      lastProgressAt = now;
    }
    if (now - armedAt > timeoutMs) m.finish('timeout');
    else if (m.postedAt > 0 && now - Math.max(lastProgressAt, m.postedAt) > idleMs) m.finish('idle');
  }, 50);
  measurement = m;
  lastDone = done;
  if (armed.length === 0) m.finish('complete');
  return { armed: armed.length };
}

function report(m, reason) {
  let received = 0;
  let lost = 0;
  let extra = 0;
  let noTimestamp = 0;
  let lastDoneAt = 0;
  const latencies = [];
  for (const connection of m.armed) {
    connection.armed = false;
    const got = connection.frames - connection.base;
    received += Math.min(got, m.count);
    if (got < m.count) lost += m.count - got;
    else extra += got - m.count;
    if (connection.doneAt === 0) continue;
    lastDoneAt = Math.max(lastDoneAt, connection.doneAt);
    if (Number.isNaN(connection.t)) noTimestamp++;
    else latencies.push(Math.round((connection.doneAt - connection.t) * 1000) / 1000);
  }
  return {
    reason,
    sockets: m.armed.length,
    expected: m.armed.length * m.count,
    received,
    lost,
    extra,
    closedEarly: m.closedEarly,
    noTimestamp,
    lastDoneAt,
    latencies,
  };
}

serveRpc({
  connect,
  settle,
  arm,
  posted: () => {
    if (measurement) measurement.postedAt = nowMs();
    return true;
  },
  wait: () => lastDone ?? Promise.reject(new Error('nothing armed')),
  counts: () => {
    let frames = 0;
    let bytes = 0;
    let stalled = 0;
    for (const connection of connections) {
      frames += connection.frames;
      bytes += connection.bytes;
      if (connection.stalled) stalled++;
    }
    return { open: connections.size, stalled, frames, bytes };
  },
  closeAll: () => {
    const closing = connections.size;
    for (const connection of connections) connection.socket.destroy();
    connections.clear();
    return closing;
  },
  exit: () => {
    setImmediate(() => process.exit(0));
    return true;
  },
});
process.send({ type: 'ready', pid: process.pid });
