import http, { type IncomingHttpHeaders } from 'node:http';
import { createParser, type EventSourceMessage } from 'eventsource-parser';

/** A stream read with a plain HTTP request: the status, headers, exact bytes and parsed events. */
export interface RawStream {
  status: number;
  headers: IncomingHttpHeaders;
  /** Every byte of the body received so far, as text. */
  readonly text: string;
  readonly events: EventSourceMessage[];
  readonly comments: string[];
  readonly retries: number[];
  /** Resolves once the body has ended (the server closed the stream). */
  readonly ended: Promise<void>;
  /** Resolves when at least `count` events arrived. */
  waitForEvents(count: number): Promise<EventSourceMessage[]>;
  /** Resolves when the body text satisfies `predicate`. */
  waitForText(predicate: (text: string) => boolean): Promise<string>;
  close(): void;
}

export interface RawStreamOptions {
  method?: string;
  headers?: Record<string, string>;
  body?: string;
}

/** Opens `url` and reads it as an event stream (also when it is not one: check `status`). */
export function openRawStream(url: string, options: RawStreamOptions = {}): Promise<RawStream> {
  return new Promise((resolve, reject) => {
    const request = http.request(url, { method: options.method ?? 'GET', headers: options.headers, agent: false });
    request.on('error', reject);
    request.on('response', (response) => {
      response.setEncoding('utf8');
      let text = '';
      const events: EventSourceMessage[] = [];
      const comments: string[] = [];
      const retries: number[] = [];
      const waiters = new Set<() => void>();
      const notify = () => waiters.forEach((check) => check());
      const parser = createParser({
        onEvent: (event) => events.push(event),
        onComment: (comment) => comments.push(comment),
        onRetry: (retry) => retries.push(retry),
      });
      const ended = new Promise<void>((resolveEnd) => {
        response.on('end', () => {
          resolveEnd();
          notify();
        });
        response.on('close', () => {
          resolveEnd();
          notify();
        });
      });
      response.on('error', () => undefined);
      response.on('data', (chunk: string) => {
        text += chunk;
        parser.feed(chunk);
        notify();
      });
      const waitUntil = <T>(ready: () => T | undefined, what: string): Promise<T> =>
        new Promise((resolveWait, rejectWait) => {
          const check = () => {
            const value = ready();
            if (value !== undefined) {
              waiters.delete(check);
              resolveWait(value);
            } else if (response.complete || response.destroyed) {
              waiters.delete(check);
              rejectWait(new Error(`stream ended before ${what}; got: ${JSON.stringify(text.slice(-500))}`));
            }
          };
          waiters.add(check);
          check();
        });
      resolve({
        status: response.statusCode ?? 0,
        headers: response.headers,
        get text() {
          return text;
        },
        events,
        comments,
        retries,
        ended,
        waitForEvents: (count) =>
          waitUntil(
            () => (events.length >= count ? events.slice() : undefined),
            `${count} events (had ${events.length})`,
          ),
        waitForText: (predicate) => waitUntil(() => (predicate(text) ? text : undefined), 'the expected text'),
        close: () => request.destroy(),
      });
    });
    if (options.body !== undefined) request.write(options.body);
    request.end();
  });
}
