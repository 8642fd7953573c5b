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
 * channel event written to it, and, while it catches up from history (or
 * waits for its first position, see `first-connect-anchor.ts`), the live
 * messages held until what comes before them is written.
 */
export class HubMember {
  /** The newest channel event written to the stream (its `Last-Event-ID` if it reconnects now). */
  position: SseBrokerPosition | undefined;
  /** Live messages held while catching up; `undefined` when it is not. */
  held: HeldMessage[] | undefined;
  heldBytes = 0;
  /** The first channel event held since holding began (also once held events were let go of). */
  firstHeld: SseBrokerPosition | undefined;
  /** Held channel events were let go of (too many bytes) or may have been missed: read history again before releasing. */
  readAgain = false;
  /** Joins still authorizing or subscribing: a catch-up starts once none is. */
  pendingJoins = 0;
  /** The position a catch-up is to start from, once the pending joins are done. */
  catchUpFrom: SseBrokerPosition | undefined;
  /** Whether a catch-up loop runs. */
  catchingUp = false;
  /**
   * The stream's first join had no `Last-Event-ID`: it waits for its first
   * position, until its joins are done (`joining`), then for the broker's
   * head (`reading`). See `first-connect-anchor.ts`.
   */
  anchoring: 'joining' | 'reading' | undefined;
  /** The engine's join count when this stream last joined channels. */
  joinStamp = 0;
  /** Settled once the catch-up's first page is written (or could not be read): what the stream waits for to open. */
  firstPage: Deferred | undefined;

  constructor(readonly connection: SseConnection) {}

  /** Starts holding live messages (a catch-up is coming). */
  hold(): void {
    this.held ??= [];
  }

  /**
   * Holds one more live message (while holding), within `budget` bytes: past
   * it, the held channel events are let go of (they are in history: read it
   * again). Returns false if what is left is still too much.
   */
  keep(message: HeldMessage, budget: number): boolean {
    this.held!.push(message);
    if (message.position) this.firstHeld ??= message.position;
    this.heldBytes += message.chunk.length;
    if (this.heldBytes <= budget) return true;
    this.held = this.held!.filter((entry) => entry.position === undefined);
    this.heldBytes = this.held.reduce((bytes, entry) => bytes + entry.chunk.length, 0);
    this.readAgain = true;
    return this.heldBytes <= budget;
  }

  /** What the stream waited for to open is written, or never will be: it may open. */
  releaseGate(): void {
    this.firstPage?.resolve();
    this.firstPage = undefined;
  }

  /** Stops holding: returns what was held. */
  takeHeld(): HeldMessage[] | undefined {
    const held = this.held;
    this.held = undefined;
    this.heldBytes = 0;
    this.firstHeld = undefined;
    return held;
  }

  /** Whether `position` is at or before what the stream already has. */
  has(position: SseBrokerPosition): boolean {
    const own = this.position;
    return own !== undefined && own.epoch === position.epoch && position.seq <= own.seq;
  }
}
