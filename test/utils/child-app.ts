import { spawn, type ChildProcess } from 'node:child_process';
import path from 'node:path';

/** A Node app run as a process of its own (`node <main>` in main's folder), and what it printed. */
export class ChildApp {
  /** stdout and stderr, interleaved as they arrived. */
  output = '';
  /** Resolves once the process has exited and its output is read to the end. */
  readonly exited: Promise<void>;
  private done = false;
  private readonly waiters = new Set<() => void>();

  private constructor(private readonly child: ChildProcess) {
    const record = (chunk: Buffer) => {
      this.output += chunk.toString();
      this.notify();
    };
    child.stdout!.on('data', record);
    child.stderr!.on('data', record);
    this.exited = new Promise((resolve) => {
      const end = () => {
        this.done = true;
        resolve();
        this.notify();
      };
      child.once('close', end);
      child.once('error', (error) => {
        this.output += `${error.message}\n`;
        end();
      });
    });
  }

  static start(main: string, env: Record<string, string> = {}): ChildApp {
    const child = spawn(process.execPath, [main], {
      cwd: path.dirname(main),
      env: { ...process.env, NODE_OPTIONS: '', ...env },
      stdio: ['ignore', 'pipe', 'pipe'],
    });
    return new ChildApp(child);
  }

  get alive(): boolean {
    return !this.done;
  }

  /** Resolves with the first line of output that parses as a JSON object; rejects if the app exits first. */
  waitForJsonLine<T = Record<string, unknown>>(): Promise<T> {
    return new Promise((resolve, reject) => {
      const check = () => {
        const line = this.output.split('\n').find((text) => /^\{.*\}\s*$/.test(text));
        if (line !== undefined) {
          this.waiters.delete(check);
          resolve(JSON.parse(line) as T);
        } else if (!this.alive) {
          this.waiters.delete(check);
          reject(new Error(`the app exited before printing a JSON line:\n${this.output.slice(-3000)}`));
        }
      };
      this.waiters.add(check);
      check();
    });
  }

  /** SIGTERM (the app closes itself through its shutdown hooks), then waits for the exit. */
  async stop(): Promise<void> {
    if (this.child.exitCode === null && this.child.signalCode === null) this.child.kill('SIGTERM');
    await this.exited;
  }

  private notify(): void {
    for (const check of [...this.waiters]) check();
  }
}
