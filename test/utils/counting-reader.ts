import http from 'node:http';
import { createParser } from 'eventsource-parser';

/** A stream read for volume: the ids and names of the events, the bytes, no data kept. */
export interface CountingReader {
  readonly status: number;
  /** Ids of the events received, in order. */
  readonly ids: string[];
  /** Names of the events received (`message` for unnamed ones), in order. */
  readonly names: string[];
  readonly bytes: number;
  /** Resolves once at least `count` events arrived (rejects if the stream ends first). */
  waitForEvents(count: number): Promise<void>;
  /** Resolves once at least `bytes` bytes arrived. */
  waitForBytes(bytes: number): Promise<void>;
  /** Resolves when the stream ends. */
  readonly ended: Promise<void>;
  /** Stops reading from the socket (the server's writes back up); `resume()` goes on. */
  pause(): void;
  resume(): void;
  close(): void;
}

export interface CountingReaderOptions {
  headers?: Record<string, string>;
  /** Read at most `bytes` every `everyMs` (a slow but steady client); unset, read at full speed. */
  pace?: { bytes: number; everyMs: number };
  /** Stop reading once this many bytes arrived (a client that stalls). */
  stallAfter?: number;
}

/**
 * Opens `url` and reads it as an event stream, keeping only ids, names and
 * byte counts, so that a test can take in hundreds of megabytes. With `pace`
 * it reads like a slow but steady client.
 */
export function openCountingReader(url: string, options: CountingReaderOptions = {}): Promise<CountingReader> {
  return new Promise((resolve, reject) => {
    const request = http.get(url, { headers: options.headers, agent: false });
    request.on('error', reject);
    request.on('response', (response) => {
      const ids: string[] = [];
      const names: string[] = [];
      let bytes = 0;
      let paused = false;
      let windowBytes = 0;
      let paceTimer: NodeJS.Timeout | undefined;
      const waiters = new Set<() => void>();
      const notify = () => waiters.forEach((check) => check());
      const parser = createParser({
        onEvent: (event) => {
          ids.push(event.id ?? '');
          names.push(event.event ?? 'message');
        },
      });
      const ended = new Promise<void>((done) => {
        response.on('close', () => {
          clearTimeout(paceTimer);
          done();
          notify();
        });
      });
      response.on('error', () => undefined);
      response.setEncoding('utf8');
      response.on('data', (chunk: string) => {
        bytes += Buffer.byteLength(chunk);
        parser.feed(chunk);
        if (options.stallAfter !== undefined && bytes >= options.stallAfter) {
          paused = true;
          response.pause();
        }
        notify();
        const pace = options.pace;
        if (!pace) return;
        windowBytes += chunk.length;
        if (windowBytes < pace.bytes) return;
        response.pause();
        paceTimer = setTimeout(() => {
          windowBytes = 0;
          if (!paused) response.resume();
        }, pace.everyMs);
      });
      const waitUntil = (ready: () => boolean, what: () => string): Promise<void> =>
        new Promise((resolveWait, rejectWait) => {
          const check = () => {
            if (ready()) {
              waiters.delete(check);
              resolveWait();
            } else if (response.destroyed || response.complete) {
              waiters.delete(check);
              rejectWait(new Error(`the stream ended before ${what()}`));
            }
          };
          waiters.add(check);
          check();
        });
      resolve({
        status: response.statusCode ?? 0,
        ids,
        names,
        get bytes() {
          return bytes;
        },
        ended,
        waitForEvents: (count) =>
          waitUntil(
            () => ids.length >= count,
            () => `${count} events (got ${ids.length})`,
          ),
        waitForBytes: (count) =>
          waitUntil(
            () => bytes >= count,
            () => `${count} bytes (got ${bytes})`,
          ),
        pause: () => {
          paused = true;
          response.pause();
        },
        resume: () => {
          paused = false;
          response.resume();
        },
        close: () => request.destroy(),
      });
    });
  });
}
