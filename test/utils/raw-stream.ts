import type { IncomingHttpHeaders } from 'node:http';
import { openEventStream, type OpenEventStreamOptions, type TestEventStream } from 'nestjs-event-stream/testing';
import { isH2cUrl } from './test-app.js';

/**
 * The old raw reader, now a thin layer over the testing kit
 * (`nestjs-event-stream/testing`) for the suites not migrated yet (and the
 * browser and package suites): events shaped as eventsource-parser's
 * (`event` undefined for a `message`). New suites use `openEventStream()`.
 */
export interface RawEvent {
  event?: string;
  id?: string;
  data: string;
}

/** A stream read with a plain HTTP request: the status, headers, exact bytes and parsed events. */
export interface RawStream {
  status: number;
  headers: IncomingHttpHeaders;
  readonly text: string;
  readonly events: RawEvent[];
  readonly comments: string[];
  readonly retries: number[];
  readonly ended: Promise<void>;
  waitForEvents(count: number): Promise<RawEvent[]>;
  waitForText(predicate: (text: string) => boolean): Promise<string>;
  close(): void;
}

export type RawStreamOptions = Pick<OpenEventStreamOptions, 'method' | 'headers' | 'body'>;

function toRaw(stream: TestEventStream): RawEvent[] {
  return stream.events.map((e) => ({
    id: e.id,
    event: e.type === 'message' ? undefined : e.type,
    data: e.data,
  }));
}

/** Opens `url` with the testing kit (HTTP/2 to the test apps that listen with cleartext HTTP/2). */
export async function openRawStream(url: string, options: RawStreamOptions = {}): Promise<RawStream> {
  // The suites' own deadlines (jest's testTimeout) stay in charge, as before the kit.
  const stream = await openEventStream(url, '', { ...options, http2: isH2cUrl(url), timeoutMs: 2 ** 31 - 1 });
  return {
    status: stream.status,
    headers: stream.headers,
    get text() {
      return stream.text;
    },
    get events() {
      return toRaw(stream);
    },
    comments: stream.comments as string[],
    retries: stream.retries as number[],
    ended: stream.ended,
    waitForEvents: async (count) => {
      await stream.waitForEvents(count);
      return toRaw(stream);
    },
    waitForText: (predicate) => stream.waitForText(predicate),
    close: () => stream.close(),
  };
}
