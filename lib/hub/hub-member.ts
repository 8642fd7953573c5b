import type { SseConnection } from '../stream/sse-connection.js';
import type { SseBrokerPosition } from '../brokers/sse-broker.interface.js';

/** A promise with its own resolve and reject: what a stream waits for to open. */
export interface Deferred {
  readonly promise: Promise<void>;
  resolve(): void;
  reject(error: unknown): void;
}

/** A {@link Deferred} whose rejection nobody waiting for is no unhandled rejection. */
export function deferred(): Deferred {
  let resolve!: () => void;
  let reject!: (error: unknown) => void;
  const promise = new Promise<void>((onResolve, onReject) => {
    resolve = onResolve;
    reject = onReject;
  });
  promise.catch(() => undefined);
  return { promise, resolve, reject };
}

/** A message held for a stream while it catches up: its frame, and its position if it is a channel event. */
export interface HeldMessage {
  readonly chunk: Buffer;
  readonly position?: SseBrokerPosition;
}

/**
 * The delivery state of one stream in the hub: the position of the newest
 * channel event written to it, and, while it catches up from history, the
 * live messages held until the catch-up has written what came before them.
 */
export class HubMember {
  /** The newest channel event written to the stream (its `Last-Event-ID` if it reconnects now). */
  position: SseBrokerPosition | undefined;
  /** Live messages held while catching up; `undefined` when it is not. */
  held: HeldMessage[] | undefined;
  heldBytes = 0;
  /** Held channel events were let go of (too many bytes) or may have been missed: read history again before releasing. */
  readAgain = false;
  /** Joins still authorizing or subscribing: a catch-up starts once none is. */
  pendingJoins = 0;
  /** The position a catch-up is to start from, once the pending joins are done. */
  catchUpFrom: SseBrokerPosition | undefined;
  /** Whether a catch-up loop runs. */
  catchingUp = false;
  /** The engine's join count when this stream last joined channels. */
  joinStamp = 0;
  /** Settled once the catch-up's first page is written (or could not be read): what the stream waits for to open. */
  firstPage: Deferred | undefined;

  constructor(readonly connection: SseConnection) {}

  /** Starts holding live messages (a catch-up is coming). */
  hold(): void {
    this.held ??= [];
  }

  /** Whether `position` is at or before what the stream already has. */
  has(position: SseBrokerPosition): boolean {
    const own = this.position;
    return own !== undefined && own.epoch === position.epoch && position.seq <= own.seq;
  }
}
