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
  private at: SseBrokerPosition | undefined;
  /** The furthest position a catch-up read the stream's channels to (see `passed()`). */
  private readTo: SseBrokerPosition | undefined;
  /** Who waits for the stream to get past a position (`SseHub.whenDelivered()`). */
  private waiters: { target: SseBrokerPosition; settle: (reached: boolean) => void }[] | undefined;
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

  /** The newest channel event written to the stream (its `Last-Event-ID` if it reconnects now). */
  get position(): SseBrokerPosition | undefined {
    return this.at;
  }

  set position(position: SseBrokerPosition | undefined) {
    this.at = position;
    if (position && this.waiters) this.passed(position);
  }

  /**
   * Resolves to true once the stream is past `target` (written it or a later
   * event of its epoch), to false once it never will be: its position moved
   * to another epoch, or the stream is over (`release()`).
   */
  whenPast(target: SseBrokerPosition): Promise<boolean> {
    const readTo = this.readTo;
    if (this.has(target) || (readTo?.epoch === target.epoch && target.seq <= readTo.seq)) return Promise.resolve(true);
    return new Promise((settle) => (this.waiters ??= []).push({ target, settle }));
  }

  /**
   * The stream is past `position`: it was written every event of its
   * channels up to it that history still held (a catch-up read to there).
   * Settles the waits it answers, without moving the stream's position.
   */
  passed(position: SseBrokerPosition): void {
    if (this.readTo?.epoch !== position.epoch || this.readTo.seq < position.seq) this.readTo = position;
    const waiters = this.waiters;
    if (!waiters) return;
    this.waiters = waiters.filter(({ target, settle }) => {
      if (target.epoch === position.epoch && target.seq > position.seq) return true;
      settle(target.epoch === position.epoch);
      return false;
    });
    if (this.waiters.length === 0) this.waiters = undefined;
  }

  /** The stream is over: every wait for a position settles with false. */
  release(): void {
    const waiters = this.waiters;
    this.waiters = undefined;
    for (const { settle } of waiters ?? []) settle(false);
  }

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
