import type { Logger } from '@nestjs/common';
import { Observable } from 'rxjs';
import type { SseHub } from '../hub/sse-hub.js';
import { encodeEvent } from '../protocol/encode-event.js';
import { toSseEventInit } from '../protocol/sse-event.js';
import type { SseRunInterruption, SseRunPreset } from '../presets/sse-run-preset.interface.js';
import { finalWordFrame } from '../stream/final-word-frame.js';
import { jitter } from '../stream/jitter.js';
import type { SseConnection } from '../stream/sse-connection.js';
import { runFinalWord } from './run-final-word.js';
import type { RunEnd, RunState } from './run-records.js';
import { SSE_RUNS_MESSAGES } from './sse-runs.messages.js';
import type { WatchedRun } from './watched-run.js';

/** The final word of a stream whose run's recording could not be read to its end. */
const HISTORY_LOST = Object.freeze({ status: 503, message: 'Service Unavailable' });

/** A listener's stream that can be ended early, in its preset's words (see `SseRunPreset.interrupted`). */
export interface RunListenerStream {
  /** Ends the stream now, because of `reason`: the preset's events for it, then the final word. */
  interrupt(reason: Exclude<SseRunInterruption, 'lost'>): void;
}

/** What a listener's stream needs besides its run. */
export interface RunListenerContext {
  readonly hub: SseHub;
  readonly logger: Logger;
  /** The preset of the route, for the events of an early end. */
  readonly preset: SseRunPreset | undefined;
  /** The open listener streams of this instance whose preset has words for an early end (ended at shutdown). */
  readonly streams: Set<RunListenerStream>;
}

/** Writes the preset's events for `reason` to `client`, as frames without ids (none without a preset or its hook). */
function writeInterruption(client: SseConnection, preset: SseRunPreset | undefined, reason: SseRunInterruption): void {
  let frames = '';
  try {
    const values = preset?.interrupted?.(reason) ?? [];
    frames = values.map((value) => encodeEvent(toSseEventInit(value), client.options.serializer)).join('');
  } catch {
    // A preset that cannot say it leaves the final word alone to say it.
  }
  if (frames) client.write(frames);
}

/**
 * The stream of one listener of a run: the run's channel joined from its
 * start (or from the client's `Last-Event-ID`), so that it gets what it
 * missed, then the rest live; once the run's end is known and the stream
 * has been written the last recorded event, it ends with the run's final
 * word, which carries that event's id (a client that reconnects has every
 * event, and gets 204: also for a run that recorded none). A stream
 * ended early (shutdown, a recording that cannot be read) says so in its
 * preset's words first. `release` is called once, when the stream is over
 * (or never subscribed: the client left while the run's state was read).
 */
export function runListener(
  context: RunListenerContext,
  client: SseConnection,
  run: WatchedRun,
  state: RunState,
  release: () => void,
): Observable<never> {
  const { hub, preset, streams } = context;
  let released = false;
  const releaseOnce = () => {
    if (released) return;
    released = true;
    release();
  };
  if (client.signal.aborted) releaseOnce();
  else client.signal.addEventListener('abort', releaseOnce, { once: true });
  return new Observable<never>((subscriber) => {
    let over = false;
    const stream: RunListenerStream = {
      interrupt: (reason) => {
        if (over || client.closed) return;
        over = true;
        writeInterruption(client, preset, reason);
        if (reason === 'shutdown') client.finish('shutdown', { retryMs: jitter(1.5 * client.options.retryMs, 1 / 3) });
        else client.finish('error', { details: HISTORY_LOST });
      },
    };
    const finish = (end: RunEnd, reached: boolean) => {
      if (over) return;
      if (!reached) return stream.interrupt('unavailable');
      over = true;
      if (end.outcome === 'lost') writeInterruption(client, preset, 'lost');
      const word = runFinalWord(end);
      // The final word carries the id of the run's last event: a client that reconnects has them all (204),
      // also when the run recorded none. (A preset has no final word: its closing events carry their ids.)
      const frame = finalWordFrame(client.options, word.reason, { details: word.details });
      client.end(word.reason, frame && `id: ${end.last}\n${frame}`);
    };
    // Only a preset with words for an early end needs to be ended before the others (see `SseRuns.onModuleDestroy`).
    if (preset?.interrupted) streams.add(stream);
    const joined = hub.joinReserved(client, run.ref.channel, { after: state.startId }).subscribe(subscriber);
    const stopWaiting = run.whenEnded((end) => {
      hub.whenDelivered(client, end.last).then(
        (reached) => finish(end, reached),
        (error: unknown) => {
          context.logger.warn(SSE_RUNS_MESSAGES.listenerEndFailed(run.ref.id, error));
          finish(end, false);
        },
      );
    });
    return () => {
      over = true;
      streams.delete(stream);
      stopWaiting();
      joined.unsubscribe();
      releaseOnce();
    };
  });
}
