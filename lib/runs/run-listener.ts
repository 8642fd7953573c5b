import { Observable } from 'rxjs';
import type { SseHub } from '../hub/sse-hub.js';
import type { SseClient } from '../stream/sse-client.interface.js';
import { SseConnection } from '../stream/sse-connection.js';
import { runFinalWord } from './run-final-word.js';
import type { RunState } from './run-records.js';
import type { WatchedRun } from './watched-run.js';

/** The final word of a stream whose run's recording belongs to a history the broker no longer has. */
const HISTORY_LOST = Object.freeze({ status: 503, message: 'Service Unavailable' });

/**
 * The stream of one listener of a run: the run's channel joined from its
 * start (or from the client's `Last-Event-ID`), so that it gets what it
 * missed, then the rest live; once the run's end is known and the stream
 * has been written the last recorded event, it ends with the run's final
 * word. `release` is called once, when the stream is over (or never
 * subscribed: the client left while the run's state was read).
 */
export function runListener(
  hub: SseHub,
  client: SseClient,
  run: WatchedRun,
  state: RunState,
  release: () => void,
): Observable<never> {
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
    const joined = hub.join(client, run.ref.channel, { after: state.startId }).subscribe(subscriber);
    const stopWaiting = run.whenEnded((end) => {
      void hub.whenDelivered(client, end.last).then((reached) => {
        if (over || !(client instanceof SseConnection)) return;
        if (!reached) return client.finish('error', { details: HISTORY_LOST });
        const word = runFinalWord(end);
        client.finish(word.reason, { details: word.details });
      });
    });
    return () => {
      over = true;
      stopWaiting();
      joined.unsubscribe();
      releaseOnce();
    };
  });
}
