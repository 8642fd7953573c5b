import { Logger } from '@nestjs/common';
import type { SseCloseReason } from './sse-client.interface.js';
import { isThenable } from '../utils/is-thenable.js';
import { SSE_MESSAGES } from '../sse.messages.js';

/** An open stream that closed, as `SseInstrumentation.streamClosed()` is told. */
export interface SseStreamClosedInfo {
  /** The route pattern the stream was opened on (`/rooms/:room/events`), `unknown` if the platform did not say. */
  readonly route: string;
  readonly reason: SseCloseReason;
  /** From the stream's headers to its close, in milliseconds. */
  readonly durationMs: number;
}

/** A `SseHub.publish()` the broker answered, as `SseInstrumentation.published()` is told. */
export interface SsePublishedInfo {
  /** From the call to the broker's answer, in milliseconds. */
  readonly durationMs: number;
  /** Whether the broker stored the event (`false`: it rejected or threw). */
  readonly ok: boolean;
}

/**
 * What a metrics exporter is told as it happens (everything else it reads
 * from `SseHub.stats()` when scraped). Register one with
 * `SseHub.instrument()`. Called synchronously on the hot path: keep it to a
 * histogram's `observe()`. An observer that throws is logged and skipped.
 */
export interface SseInstrumentation {
  /** An open stream closed (not called for requests refused or answered 204 before opening). */
  streamClosed?(info: SseStreamClosedInfo): void;
  /** A publish reached the broker and was answered. */
  published?(info: SsePublishedInfo): void;
}

/**
 * The observers of one instance, owned by the stream registry. With none
 * registered, what reports to it costs one length check.
 */
export class SseInstruments {
  private readonly logger = new Logger('SseInstruments');
  private observers: SseInstrumentation[] = [];

  /** Whether any observer is registered. */
  get active(): boolean {
    return this.observers.length > 0;
  }

  /** Registers `observer`; returns the function that removes it. */
  add(observer: SseInstrumentation): () => void {
    this.observers = [...this.observers, observer];
    return () => {
      this.observers = this.observers.filter((each) => each !== observer);
    };
  }

  streamClosed(info: SseStreamClosedInfo): void {
    for (const observer of this.observers) this.call(observer, 'streamClosed', info);
  }

  /** Calls `publish` (a broker's publish) and reports it to the observers as a publish once it settles. */
  timePublish<T>(publish: () => T | PromiseLike<T>): T | PromiseLike<T> {
    const started = performance.now();
    const report = (ok: boolean) => {
      const info: SsePublishedInfo = { durationMs: performance.now() - started, ok };
      for (const observer of this.observers) this.call(observer, 'published', info);
    };
    let result: T | PromiseLike<T>;
    try {
      result = publish();
    } catch (error) {
      report(false);
      throw error;
    }
    if (!isThenable(result)) {
      report(true);
      return result;
    }
    return Promise.resolve(result).then(
      (value) => {
        report(true);
        return value;
      },
      (error: unknown) => {
        report(false);
        throw error;
      },
    );
  }

  private call<K extends keyof SseInstrumentation>(
    observer: SseInstrumentation,
    name: K,
    info: Parameters<NonNullable<SseInstrumentation[K]>>[0],
  ): void {
    const method = observer[name] as ((info: unknown) => void) | undefined;
    if (method === undefined) return;
    try {
      method.call(observer, info);
    } catch (error) {
      this.logger.error(SSE_MESSAGES.instrumentationFailed(name), (error as Error)?.stack ?? String(error));
    }
  }
}
