import type {
  EventStreamClient,
  EventStreamError,
  EventStreamMessage,
  EventStreamReset,
  EventStreamStateChange,
  SseEndData,
  SseEventMap,
} from 'nestjs-event-stream/client';

/** What a typed client did, recorded through its public API, with a wait that says what it saw on timeout. */
export interface ClientRecord<M extends SseEventMap, K extends keyof M & string = keyof M & string> {
  /** The events of the types recorded. */
  events: Extract<EventStreamMessage<M>, { type: K }>[];
  states: EventStreamStateChange[];
  errors: EventStreamError[];
  ends: SseEndData[];
  resets: EventStreamReset[];
  /** Resolves once `predicate` holds, checked after everything the client reports; rejects after `timeoutMs`. */
  waitFor(predicate: () => boolean, what: string, timeoutMs?: number): Promise<void>;
}

/** Records every event of `types`, every state change, error, final word and reset of `client`. */
export function recordClient<M extends SseEventMap, K extends keyof M & string = never>(
  client: EventStreamClient<M>,
  types: readonly K[],
): ClientRecord<M, K> {
  const checks = new Set<() => void>();
  const changed = () => checks.forEach((check) => check());
  const record: ClientRecord<M, K> = {
    events: [],
    states: [],
    errors: [],
    ends: [],
    resets: [],
    waitFor: (predicate, what, timeoutMs = 5000) =>
      new Promise<void>((resolve, reject) => {
        if (predicate()) return resolve();
        const timer = setTimeout(() => {
          checks.delete(check);
          const seen = JSON.stringify({
            events: record.events.map((e) => [e.type, e.data, e.id]),
            states: record.states.map((s) => s.state),
            errors: record.errors.map((e) => e.message),
            ends: record.ends,
          });
          reject(new Error(`timed out waiting for ${what}; the client saw ${seen}`));
        }, timeoutMs);
        const check = () => {
          if (!predicate()) return;
          clearTimeout(timer);
          checks.delete(check);
          resolve();
        };
        checks.add(check);
      }),
  };
  for (const type of types) {
    client.on(type, (_data, event) => {
      record.events.push(event as unknown as Extract<EventStreamMessage<M>, { type: K }>);
      changed();
    });
  }
  client.onState((change) => (record.states.push(change), changed()));
  client.onError((error) => (record.errors.push(error), changed()));
  client.onEnd((end) => (record.ends.push(end), changed()));
  client.onReset((reset) => (record.resets.push(reset), changed()));
  return record;
}
