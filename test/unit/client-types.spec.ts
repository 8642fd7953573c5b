import { connectEventStream, EventStreamClient, type EventStreamMessage } from 'nestjs-event-stream/client';

/** The event map the type-level checks use. */
interface TickerEvents {
  tick: { n: number; at: string };
  'ticker-paused': { until: string };
  message: string;
}

/**
 * Type-level tests: `tsc --noEmit -p tsconfig.json` (the repo's lint run)
 * fails if a `@ts-expect-error` line compiles. The functions are never called.
 */
export function typeChecks(client: EventStreamClient<TickerEvents>): void {
  client.on('tick', (data, event) => {
    const n: number = data.n;
    const type: 'tick' = event.type;
    const id: string | undefined = event.id;
    void [n, type, id, event.lastEventId];
    // @ts-expect-error `tick` has no `until`
    void data.until;
  });
  client.on('message', (data) => data.toUpperCase());
  // @ts-expect-error not an event of the map
  client.on('tock', () => undefined);
  // @ts-expect-error a listener of `ticker-paused` gets its payload, not a tick
  client.on('ticker-paused', (data: { n: number }) => data.n);
  const off: () => void = client.on('ticker-paused', (data) => void data.until);
  off();
}

export async function iteratorChecks(client: EventStreamClient<TickerEvents>): Promise<void> {
  for await (const event of client) {
    if (event.type === 'tick') {
      const n: number = event.data.n;
      void n;
      // @ts-expect-error narrowed to a tick
      void event.data.until;
    } else if (event.type === 'ticker-paused') {
      const until: string = event.data.until;
      void until;
    } else {
      const text: string = event.data;
      void text;
    }
  }
  const one: EventStreamMessage<TickerEvents> = {
    type: 'tick',
    data: { n: 1, at: '' },
    id: undefined,
    lastEventId: '',
  };
  // @ts-expect-error the data does not match the type
  const wrong: EventStreamMessage<TickerEvents> = { type: 'tick', data: { until: '' }, id: undefined, lastEventId: '' };
  void [one, wrong];
}

/** Without an event map: any event name, data `unknown` (docs/client.md's plain ES module example). */
export async function untypedChecks(): Promise<void> {
  const client = new EventStreamClient('/ticks');
  client.on('message', (data, event) => void [data, event.type.toUpperCase(), event.lastEventId]);
  client.on('tick', (data) => {
    // @ts-expect-error data is unknown until the caller narrows it
    void data.n;
  });
  const other = connectEventStream('/ticks');
  other.on('anything', (data: unknown) => data);
  for await (const event of other) void [event.type, event.data];
  // An explicit map still checks names and payloads.
  const typed = connectEventStream<TickerEvents>('/ticks');
  // @ts-expect-error a wrong payload type for the parameter
  typed.on('tick', (data: { n: string }) => data);
}

describe('the typed client’s types', () => {
  it('are checked by tsc (this file’s @ts-expect-error lines)', () => {
    expect(typeof typeChecks).toBe('function');
    expect(typeof iteratorChecks).toBe('function');
    expect(typeof untypedChecks).toBe('function');
  });
});
