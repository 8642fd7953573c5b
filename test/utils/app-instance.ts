import { spawn, type ChildProcess } from 'node:child_process';

/** One app instance in a process of its own (test/src/broker-instance). */
export class Instance {
  output = '';
  readonly exited: Promise<number | null>;
  private readonly waiters = new Set<() => void>();

  private constructor(
    readonly name: string,
    private readonly child: ChildProcess,
  ) {
    const record = (chunk: Buffer) => {
      this.output += chunk.toString();
      for (const check of [...this.waiters]) check();
    };
    child.stdout!.on('data', record);
    child.stderr!.on('data', record);
    this.exited = new Promise((resolve) => child.once('exit', (code) => resolve(code)));
  }

  url = '';

  static async start(name: string, main: string, env: Record<string, string>): Promise<Instance> {
    const child = spawn(process.execPath, [main], {
      env: { ...process.env, NODE_OPTIONS: '', INSTANCE: name, ...env },
      stdio: ['ignore', 'pipe', 'pipe'],
    });
    const instance = new Instance(name, child);
    const line = await instance.waitForOutput(/\{"port":(\d+)\}/, 20_000);
    instance.url = `http://127.0.0.1:${line[1]}`;
    return instance;
  }

  get alive(): boolean {
    return this.child.exitCode === null && this.child.signalCode === null;
  }

  /** Occurrences of `text` in what the process printed. */
  count(text: string): number {
    return this.output.split(text).length - 1;
  }

  /** The lines the process printed that contain `text` (what a failed count shows). */
  lines(text: string): string[] {
    return this.output.split('\n').filter((line) => line.includes(text));
  }

  waitForOutput(pattern: RegExp, timeoutMs = 10_000): Promise<RegExpMatchArray> {
    return new Promise((resolve, reject) => {
      const check = () => {
        const match = pattern.exec(this.output);
        if (match) {
          this.waiters.delete(check);
          clearTimeout(timer);
          resolve(match);
        } else if (!this.alive) {
          this.waiters.delete(check);
          clearTimeout(timer);
          reject(new Error(`${this.name} exited before printing ${pattern}: ${this.output.slice(-2000)}`));
        }
      };
      const timer = setTimeout(() => {
        this.waiters.delete(check);
        reject(new Error(`${this.name} did not print ${pattern}: ${this.output.slice(-2000)}`));
      }, timeoutMs);
      this.waiters.add(check);
      this.child.once('exit', check);
      check();
    });
  }

  post(path: string, body: unknown, method = 'POST'): Promise<{ status: number; body: Record<string, unknown> }> {
    return fetch(`${this.url}${path}`, {
      method,
      headers: { 'content-type': 'application/json' },
      body: JSON.stringify(body),
    }).then(async (response) => ({
      status: response.status,
      body: (await response.json()) as Record<string, unknown>,
    }));
  }

  /** Publishes `text` on `channel`; resolves to the id (throws on any other status). */
  async publish(channel: string, text: string): Promise<string> {
    const { status, body } = await this.post(`/publish/${channel}`, { text });
    if (status !== 201) throw new Error(`${this.name}: publish answered ${status}: ${JSON.stringify(body)}`);
    return body.id as string;
  }

  /** Ends the process (SIGTERM: the app shuts down gracefully). */
  async stop(): Promise<void> {
    if (this.alive) this.child.kill('SIGTERM');
    await this.exited;
  }
}

/** Retries `attempt` every 50 ms until it resolves (for "once the server is back", which nothing announces to the test). */
export async function retry<T>(attempt: () => Promise<T>, what: string, timeoutMs = 10_000): Promise<T> {
  const deadline = Date.now() + timeoutMs;
  for (;;) {
    try {
      return await attempt();
    } catch (error) {
      if (Date.now() > deadline) throw new Error(`timed out waiting for ${what}: ${String(error)}`);
      await new Promise((resolve) => setTimeout(resolve, 50));
    }
  }
}
