import type { SseBrokerPosition } from '../brokers/sse-broker.interface.js';
import { encodeEvent } from '../protocol/encode-event.js';
import { formatEventId } from '../protocol/event-id.js';
import type { BrokerReads } from './broker-reads.js';
import type { HubMember } from './hub-member.js';

/*
 * Resumable first connects. A stream whose first join has no `Last-Event-ID`
 * starts with an id-only block at its anchor (`id: <epoch>.<seq>`, then a
 * blank line): a browser takes it for its last event id and dispatches
 * nothing, so that when it is dropped before any event arrived, it
 * reconnects with that id and is replayed what was published meanwhile,
 * instead of missing it.
 *
 * The anchor is the broker's head, read once the joins are done while live
 * messages are held: by then every event up to the head of the stream's
 * channels has been delivered (the `SseBroker.head()` contract), so it is
 * held. When a channel event is held (published after the stream subscribed,
 * before the head was read), the anchor is just before the first of them, so
 * that they are written after the block rather than taken for seen. No event
 * published before the subscription can come after that: the broker
 * delivers in seq order.
 */

/** Where a stream without a `Last-Event-ID` starts: just before the first channel event held for it, else the head. */
export function anchorOf(head: SseBrokerPosition, firstHeld: SseBrokerPosition | undefined): SseBrokerPosition {
  return firstHeld ? { epoch: firstHeld.epoch, seq: firstHeld.seq - 1 } : head;
}

/** The id-only block of an anchor: `id: <epoch>.<seq>` and a blank line. */
function anchorFrame(anchor: SseBrokerPosition): string {
  return encodeEvent({ id: formatEventId(anchor.epoch, anchor.seq) });
}

/** Starts the streams whose first join had no `Last-Event-ID` at their anchor, for the delivery engine. */
export class FirstConnectAnchors {
  constructor(private readonly reads: BrokerReads) {}

  /**
   * Reads the head for `member`, whose joins are done (live messages held),
   * writes the id-only block and sets the stream's position; then `next`
   * carries on as after any join: a catch-up if one is due, else what was
   * held is released.
   */
  start(member: HubMember, next: (member: HubMember) => void): void {
    member.anchoring = 'reading';
    Promise.resolve()
      .then(() => this.reads.head(member.joinStamp))
      .then(
        (head) => this.anchored(member, head, next),
        (error: unknown) => this.failed(member, error, next),
      );
  }

  private anchored(member: HubMember, head: SseBrokerPosition, next: (member: HubMember) => void): void {
    member.anchoring = undefined;
    if (member.connection.closed) {
      member.takeHeld();
      return member.releaseGate();
    }
    const anchor = anchorOf(head, member.firstHeld);
    // Not an event: counted neither as delivered nor as a replay.
    member.connection.write(anchorFrame(anchor));
    member.position = anchor;
    // Held channel events were let go of (too many bytes), or the broker reported a gap: read them from history.
    if (member.readAgain) member.catchUpFrom ??= anchor;
    // A catch-up opens the stream once its first page is written.
    if (!member.catchUpFrom) member.releaseGate();
    next(member);
  }

  /**
   * The head could not be read. Before the stream opened, the request fails
   * with the error (a 503 while the broker is away), before any stream byte.
   * A stream already open (its first join came later) goes on without a
   * first position, as if it had none to be told.
   */
  private failed(member: HubMember, error: unknown, next: (member: HubMember) => void): void {
    member.anchoring = undefined;
    if (member.firstPage && !member.connection.isOpen) {
      member.firstPage.reject(error);
      member.firstPage = undefined;
      member.takeHeld();
      return;
    }
    member.releaseGate();
    next(member);
  }
}
