import { randomUUID } from 'node:crypto';
import type { ResolvedSseStreamOptions } from './sse-stream-options.interface.js';
import type { SseClient, SseCloseReason, SseRequest } from './sse-client.interface.js';
import { encodeRetry } from '../protocol/encode-event.js';
import { jitter } from './jitter.js';
import { finalWordFrame, type SseFinalWordInit } from './final-word-frame.js';
import { joinChunks } from './join-chunks.js';
import { readLastEventId } from '../protocol/last-event-id.js';
import type { Flushable } from './flush-scheduler.js';
import type { SseCounters } from './sse-counters.js';
import { openStatus } from './open-status.js';
import type { SseChunk, SseTransport, SseTransportSink } from './transports/sse-transport.interface.js';

export type { SseChunk } from './transports/sse-transport.interface.js';
export type { SseFinalWordInit } from './final-word-frame.js';

const enum State {
  Pending,
  Open,
  Ending,
  Closed,
}

/** What a connection needs from whoever keeps track of it. */
export interface SseConnectionOwner {
  readonly counters: SseCounters; // where the bytes handed to the platform are counted
  scheduleFlush(connection: Flushable): void;
  opened(connection: SseConnection): void;
  /** The response of an open stream closed: forget it (its close callbacks run next). */
  closed(connection: SseConnection): void;
  /** Its close callbacks ran (so the hub has left its channels): tell the lifecycle. */
  announceClosed(connection: SseConnection, reason: SseCloseReason): void;
  /** The response closed before the stream opened (an error status, a 204, a client that left early). */
  closedBeforeOpen(connection: SseConnection): void;
  slowClient(connection: SseConnection, bufferedBytes: number): void;
  callbackFailed(connection: SseConnection, error: unknown): void;
}

/**
 * Owns the response of one stream. Takes pre-framed text, holds what was
 * written during the current turn and sends it in one socket write, counts the
 * bytes not yet sent (closing the connection past `maxBufferedBytes`), and
 * runs its close callbacks once, whoever ends it.
 */
export class SseConnection implements SseClient, Flushable, SseTransportSink {
  readonly id: string = randomUUID();
  readonly lastEventId: string | undefined;
  /** Set by the heartbeat after each beat, cleared by every write. */
  idle = false;
  /** The user the stream belongs to (see the `userIdOf` option), set by the registry when it lets the request in. */
  userId: string | undefined;
  /** The session the stream belongs to (see the `sessionIdOf` option), set by the registry when it lets the request in. */
  sessionId: string | undefined;
  /** For a stream without a user, the client address it is counted under (see `maxAnonymousConnectionsPerAddress`). */
  anonymousAddress: string | undefined;
  /** For metrics: when it opened (`performance.now()`). */
  openedAt = 0;
  private state = State.Pending;
  private registered = false;
  /** Frames written since the last flush: one as it is, several in an array. */
  private pending: SseChunk | SseChunk[] | undefined;
  private pendingBytes = 0;
  /** What Node still held for the client after the last socket write. */
  private backlog = 0;
  private flushQueued = false;
  private awaitingDrain = false;
  private reason: SseCloseReason = 'client-closed';
  private abortController: AbortController | undefined;
  private closeCallbacks: ((reason: SseCloseReason) => void)[] | undefined;
  private openGates: Promise<unknown>[] | undefined;
  private endWhenOpen: { reason: SseCloseReason; finalFrame: string } | undefined;
  /** Writers waiting for room (see `whenWritable()`). */
  private roomWaiters: (() => void)[] | undefined;

  constructor(
    readonly request: SseRequest,
    private readonly transport: SseTransport,
    readonly options: ResolvedSseStreamOptions,
    private readonly owner: SseConnectionOwner,
    private readonly declaredStatus?: number, // the route's `@HttpCode()`, if it has one
    readonly route = 'unknown', // for metrics: its route pattern (`/rooms/:room/events`)
  ) {
    this.lastEventId = readLastEventId(request);
    transport.attach(this);
  }

  get user(): unknown {
    return this.request.user;
  }

  get closed(): boolean {
    return this.state >= State.Ending;
  }

  /** Whether the stream has sent its headers and takes events. */
  get isOpen(): boolean {
    return this.state === State.Open;
  }

  /** Why the stream ended (`client-closed` until it has). */
  get closeReason(): SseCloseReason {
    return this.reason;
  }

  get signal(): AbortSignal {
    if (!this.abortController) {
      this.abortController = new AbortController();
      if (this.state === State.Closed) this.abortController.abort(this.reason);
    }
    return this.abortController.signal;
  }

  /** Calls `callback` once when the stream ends (at once if it has). */
  onClose(callback: (reason: SseCloseReason) => void): void {
    if (this.state === State.Closed) {
      callback(this.reason);
      return;
    }
    (this.closeCallbacks ??= []).push(callback);
  }

  /**
   * Queues one or more complete frames. Before `open()` they wait and go out
   * right after the headers. Returns false when the frame was not taken: the
   * stream is closed, or more than `maxBufferedBytes` already wait for the
   * client to read them (the connection is then closed as a slow client).
   */
  write(
    frames: SseChunk,
    bytes: number = typeof frames === 'string' ? Buffer.byteLength(frames) : frames.length,
  ): boolean {
    if (this.state >= State.Ending || this.endWhenOpen) return false;
    // What the client has not taken: what Node held after the last socket
    // write (read once per write, not per frame: it can only have shrunk
    // since), and what waits behind it for a drain. Frames batched for this
    // turn's flush (or held until the stream opens) are not the client's fault.
    let waiting = this.backlog + (this.awaitingDrain ? this.pendingBytes : 0);
    if (waiting > this.options.maxBufferedBytes) {
      // The backlog figure is the one of the last socket write: a client that
      // kept reading since has taken part of it. Cut only on what is left now.
      this.backlog = this.transport.backlog;
      waiting = this.backlog + (this.awaitingDrain ? this.pendingBytes : 0);
    }
    if (waiting > this.options.maxBufferedBytes) {
      this.owner.slowClient(this, waiting);
      this.destroy('slow-client');
      return false;
    }
    const pending = this.pending;
    if (pending === undefined) this.pending = frames;
    else if (Array.isArray(pending)) pending.push(frames);
    else this.pending = [pending, frames];
    this.pendingBytes += bytes;
    this.idle = false;
    if (!this.flushQueued && this.state === State.Open && !this.awaitingDrain) {
      this.flushQueued = true;
      this.owner.scheduleFlush(this);
    }
    return true;
  }

  /**
   * Holds the headers back until `gate` settles: what a stream source must
   * finish before the client may see the stream open (joining channels,
   * authorizing them, replaying history). A gate that rejects fails the
   * request with its error, before any stream byte.
   */
  deferOpenUntil(gate: Promise<unknown>): void {
    if (this.state !== State.Pending)
      throw new Error(`Stream ${this.id} is already open; join channels before it opens.`);
    (this.openGates ??= []).push(gate);
  }

  /** Settles when every gate given to `deferOpenUntil()` has; `undefined` if there are none. */
  whenReadyToOpen(): Promise<unknown> | undefined {
    const gates = this.openGates;
    if (!gates) return undefined;
    this.openGates = undefined;
    return Promise.all(gates).then(() => this.whenReadyToOpen());
  }

  /** Sends the headers, the `retry:` hint (jittered by `retryJitter`) and whatever was written before. */
  open(): void {
    if (this.state !== State.Pending) return;
    this.state = State.Open;
    this.registered = true;
    this.transport.open(this.request, openStatus(this.transport.statusCode, this.request.method, this.declaredStatus));
    this.openedAt = performance.now();
    const retry = encodeRetry(jitter(this.options.retryMs, this.options.retryJitter));
    const first = this.pending !== undefined ? this.takePending(retry) : this.counted(retry);
    this.owner.opened(this);
    this.send(first);
    if (this.endWhenOpen) this.end(this.endWhenOpen.reason, this.endWhenOpen.finalFrame);
    else this.notifyRoom();
  }

  /** Bytes written to this stream and not yet taken by the client: held by the platform, or waiting behind it. */
  get bufferedBytes(): number {
    return this.backlog + this.pendingBytes;
  }

  /**
   * For a writer that paces itself (a replay of history): `undefined` when
   * the stream has room now (it is open and less than a quarter of
   * `maxBufferedBytes` waits for the client), else a promise that resolves
   * once it has, or once the stream has ended (check `closed`).
   */
  whenWritable(): Promise<void> | undefined {
    if (this.hasRoom() || this.state >= State.Ending) return undefined;
    return new Promise((resolve) => (this.roomWaiters ??= []).push(resolve));
  }

  private hasRoom(): boolean {
    return this.state === State.Open && !this.awaitingDrain && this.bufferedBytes * 4 < this.options.maxBufferedBytes;
  }

  private notifyRoom(): void {
    const waiters = this.roomWaiters;
    if (!waiters || (!this.hasRoom() && this.state < State.Ending)) return;
    this.roomWaiters = undefined;
    for (const resolve of waiters) resolve();
  }

  /** Writes what is pending now. Called by the flush scheduler. */
  flush(): void {
    this.flushQueued = false;
    if (this.state !== State.Open || this.awaitingDrain || this.pending === undefined) return;
    this.send(this.takePending());
    // A write the socket took at once brings no drain: a paced writer waiting for room is told here.
    if (this.roomWaiters) this.notifyRoom();
  }

  /**
   * Ends the stream after what is pending and `finalFrame`. A client that
   * does not take the rest within a second is cut off.
   */
  end(reason: SseCloseReason, finalFrame = ''): void {
    if (this.state >= State.Ending) return;
    if (this.state === State.Pending) {
      // Ended before it opened (e.g. a value refused with onFrameError 'end'
      // while the source emitted synchronously): the stream still opens, with
      // what was written before, and ends right after the headers.
      this.endWhenOpen ??= { reason, finalFrame };
      return;
    }
    this.reason = reason;
    this.state = State.Ending;
    const rest = this.pending !== undefined ? this.takePending(undefined, finalFrame) : this.counted(finalFrame);
    this.transport.end(rest);
    this.notifyRoom();
    if (this.transport.backlog > 0) {
      const cutOff = setTimeout(() => this.transport.destroy(), 1000);
      cutOff.unref();
      this.onClose(() => clearTimeout(cutOff));
    }
  }

  /**
   * Ends the stream, from the server's side, with its final word: one
   * `endEventName` event whose data says why (`{"reason":"completed"}`),
   * after what is pending. A reason that has no word (`client-closed`,
   * `slow-client`, `no-content`) or `endEventName: false` ends it without one.
   */
  finish(reason: SseCloseReason, word: SseFinalWordInit = {}): void {
    if (this.state < State.Ending) this.end(reason, finalWordFrame(this.options, reason, word));
  }

  /** Gives the response back unwritten: the request failed before the stream opened (Nest's filters answer it). */
  abandon(): void {
    if (this.state === State.Pending) this.state = State.Ending;
  }

  /** Answers `204 No Content` instead of a stream: browsers stop reconnecting. */
  noContent(): void {
    if (this.state !== State.Pending) return;
    this.reason = 'no-content';
    this.state = State.Ending;
    this.transport.noContent();
  }

  /** Closes the connection at once, dropping what was not sent. */
  destroy(reason: SseCloseReason): void {
    if (this.state === State.Closed) return;
    this.reason = reason;
    this.state = State.Ending;
    this.pending = undefined;
    this.pendingBytes = 0;
    this.transport.destroy();
    this.notifyRoom();
  }

  /**
   * Takes what is pending as one chunk for one socket write: a single frame as
   * it is (a shared Buffer is not copied), several joined.
   */
  private takePending(before?: SseChunk, after?: SseChunk): SseChunk {
    const pending = this.pending;
    const bytes = this.pendingBytes;
    this.pending = undefined;
    this.pendingBytes = 0;
    this.owner.counters.bytesWritten += bytes;
    return joinChunks(pending, bytes, this.counted(before), this.counted(after));
  }

  /** Counts a frame of our own (a `retry:` hint, a final word: short) as written. */
  private counted<T extends SseChunk | undefined>(chunk: T): T {
    if (chunk) this.owner.counters.bytesWritten += typeof chunk === 'string' ? Buffer.byteLength(chunk) : chunk.length;
    return chunk;
  }

  private send(chunk: SseChunk): void {
    // A write that did not back up left less than the socket's high-water mark
    // (16 KiB) in Node's buffer: not worth a read of `writableLength` per write.
    const flushed = this.transport.write(chunk);
    this.backlog = flushed ? 0 : this.transport.backlog;
    if (!flushed) this.awaitingDrain = true;
  }

  /** @internal Node has taken what was waiting: write what was batched since. */
  handleDrain(): void {
    this.awaitingDrain = false;
    this.backlog = this.transport.backlog;
    this.flush();
    this.notifyRoom();
  }

  /** @internal The response is over, whoever ended it: runs the close callbacks once. */
  handleClose(): void {
    if (this.state === State.Closed) return;
    this.state = State.Closed;
    this.pending = undefined;
    this.pendingBytes = 0;
    this.abortController?.abort(this.reason);
    this.notifyRoom();
    const callbacks = this.closeCallbacks;
    this.closeCallbacks = undefined;
    if (this.registered) this.owner.closed(this);
    else this.owner.closedBeforeOpen(this);
    for (const callback of callbacks ?? []) {
      try {
        callback(this.reason);
      } catch (error) {
        this.owner.callbackFailed(this, error);
      }
    }
    if (this.registered) this.owner.announceClosed(this, this.reason);
  }
}
