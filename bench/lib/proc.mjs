/**
 * Child processes of the bench: each one a Node script behind `sh -c 'ulimit -n
 * ...; exec node ...'` (so it may hold tens of thousands of sockets), reached
 * through an IPC channel. Every child is registered here and killed when the
 * orchestrator exits, fails or is interrupted; children exit by themselves
 * when the IPC channel closes (see ipc.mjs), so none is left behind.
 */
import { execFileSync, spawn } from 'node:child_process';

const live = new Set();
let cleanupInstalled = false;

/** The soft limit of open files the children get: the hard limit, capped at 65536. */
export function fileLimit() {
  try {
    const hard = execFileSync('/bin/sh', ['-c', 'ulimit -Hn'], { encoding: 'utf8' }).trim();
    return hard === 'unlimited' ? 65536 : Math.min(65536, Number.parseInt(hard, 10));
  } catch {
    return 1024;
  }
}

/** Kills every child still running (SIGKILL). Safe to call at any time, also from an 'exit' handler. */
export function killAll() {
  for (const child of live) child.kill('SIGKILL');
}

/** Kills all children on exit, Ctrl-C, SIGTERM and crashes. */
export function installCleanup(onAbort) {
  if (cleanupInstalled) return;
  cleanupInstalled = true;
  process.on('exit', killAll);
  for (const signal of ['SIGINT', 'SIGTERM', 'SIGHUP']) {
    process.on(signal, () => {
      process.stderr.write(`\nbench: ${signal}, stopping every child process\n`);
      onAbort?.();
      killAll();
      process.exit(130);
    });
  }
  process.on('uncaughtException', (error) => {
    process.stderr.write(`bench: uncaught ${error?.stack ?? error}\n`);
    killAll();
    process.exit(1);
  });
  process.on('unhandledRejection', (error) => {
    process.stderr.write(`bench: unhandled rejection ${error?.stack ?? error}\n`);
    killAll();
    process.exit(1);
  });
}

/** Runs `promise`, failing with a clear message after `ms`. */
export function withTimeout(promise, ms, what) {
  let timer;
  const timeout = new Promise((_, reject) => {
    timer = setTimeout(() => reject(new Error(`${what}: no answer within ${Math.round(ms)} ms`)), ms);
  });
  return Promise.race([promise, timeout]).finally(() => clearTimeout(timer));
}

/** A Node child process with an IPC channel. */
export class Child {
  /**
   * @param {string} script absolute path of the .mjs file
   * @param {{ label: string, nodeArgs?: string[], env?: object, fileLimit?: number, verbose?: boolean }} options
   */
  constructor(script, { label, nodeArgs = [], env = {}, fileLimit: limit = 1024, verbose = false }) {
    this.label = label;
    this.output = '';
    this.exited = false;
    this.exitCode = undefined;
    this.pending = new Map();
    this.nextRpc = 1;
    this.listeners = new Set();
    const shell = `ulimit -n ${limit} 2>/dev/null || true; exec "$@"`;
    this.process = spawn('/bin/sh', ['-c', shell, 'sh', process.execPath, ...nodeArgs, script], {
      stdio: ['ignore', 'pipe', 'pipe', 'ipc'],
      env: { ...process.env, ...env },
    });
    live.add(this.process);
    const keep = (chunk) => {
      this.output = (this.output + chunk.toString()).slice(-8000);
      if (verbose) process.stderr.write(`[${label}] ${chunk}`);
    };
    this.process.stdout.on('data', keep);
    this.process.stderr.on('data', keep);
    this.process.on('message', (message) => this.receive(message));
    this.exitedPromise = new Promise((resolve) => {
      this.process.on('exit', (code, signal) => {
        this.exited = true;
        this.exitCode = code ?? signal;
        live.delete(this.process);
        const error = new Error(`${label} exited (${this.exitCode})${this.tail()}`);
        for (const { reject } of this.pending.values()) reject(error);
        this.pending.clear();
        for (const listener of this.listeners) listener({ type: 'exit', code: this.exitCode });
        resolve();
      });
    });
    this.process.on('error', (error) => {
      this.output += `\nspawn error: ${error.message}`;
    });
  }

  get pid() {
    return this.process.pid;
  }

  /** The last lines the child printed, for error messages. */
  tail() {
    const text = this.output.trim();
    return text ? `\n--- last output of ${this.label} ---\n${text.split('\n').slice(-15).join('\n')}` : '';
  }

  receive(message) {
    if (message && typeof message.rpc === 'number') {
      const waiting = this.pending.get(message.rpc);
      if (!waiting) return;
      this.pending.delete(message.rpc);
      if (message.ok) waiting.resolve(message.result);
      else waiting.reject(new Error(`${this.label}: ${message.error}`));
      return;
    }
    for (const listener of this.listeners) listener(message);
  }

  /** Waits for a notification (`ready`, `skip`, `fatal`) or the exit of the child. */
  waitForNotice(timeoutMs) {
    return withTimeout(
      new Promise((resolve, reject) => {
        const listener = (message) => {
          if (!message || !message.type) return;
          this.listeners.delete(listener);
          if (message.type === 'exit')
            reject(new Error(`${this.label} exited (${message.code}) before it was ready${this.tail()}`));
          else if (message.type === 'fatal') reject(new Error(`${this.label} failed: ${message.error}`));
          else resolve(message);
        };
        this.listeners.add(listener);
      }),
      timeoutMs,
      `${this.label} start`,
    );
  }

  /** Sends a command and waits for its answer. */
  call(cmd, args = {}, timeoutMs = 30_000) {
    if (this.exited) return Promise.reject(new Error(`${this.label} is not running${this.tail()}`));
    const rpc = this.nextRpc++;
    const answer = new Promise((resolve, reject) => {
      this.pending.set(rpc, { resolve, reject });
      this.process.send({ rpc, cmd, args }, (error) => {
        if (error) {
          this.pending.delete(rpc);
          reject(error);
        }
      });
    });
    return withTimeout(answer, timeoutMs, `${this.label} ${cmd}`).finally(() => this.pending.delete(rpc));
  }

  /**
   * Stops the child: asks it to exit (it then writes what it must, e.g. a
   * profile) and kills it if it has not within `graceMs`. SIGKILL at once when
   * `graceMs` is 0.
   */
  async stop(graceMs = 0) {
    if (this.exited) return;
    if (graceMs > 0) {
      this.call('exit', {}, graceMs).catch(() => {});
      await Promise.race([this.exitedPromise, new Promise((resolve) => setTimeout(resolve, graceMs))]);
    }
    if (!this.exited) this.process.kill('SIGKILL');
    await withTimeout(this.exitedPromise, 5000, `${this.label} kill`).catch(() => {});
  }
}
