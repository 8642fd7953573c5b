import { Logger } from '@nestjs/common';
import type {
  SseBroker,
  SseBrokerMessage,
  SseBrokerPosition,
  SseHistoryPage,
} from '../brokers/sse-broker.interface.js';
import { encodeEvent } from '../protocol/encode-event.js';
import { formatEventId, parseEventId } from '../protocol/event-id.js';
import type { SseConnection } from '../stream/sse-connection.js';
import type { SseStreamRegistry } from '../stream/sse-stream-registry.js';
import { SSE_MESSAGES } from '../sse.messages.js';
import { BrokerReads } from './broker-reads.js';
import type { ChannelIndex } from './channel-index.js';
import { FirstConnectAnchors } from './first-connect-anchor.js';
import { HubMember, deferred, type HeldMessage } from './hub-member.js';

/** The final word of a stream whose missed history could not be read: the client is to reconnect and resume. */
const HISTORY_UNAVAILABLE = Object.freeze({ status: 503, message: 'Service Unavailable' });

/** The first page of a catch-up reads this many events; later pages as many as fill an eighth of the stream's budget. */
const FIRST_PAGE = 16;
const MAX_PAGE = 1000;

/** The frame of a channel event: its id, then the body the hub encoded when it was published. */
function frameOf(event: { epoch: string; seq: number; payload: string }): string {
  return `id: ${formatEventId(event.epoch, event.seq)}\n${event.payload}`;
}

/**
 * Delivers what the broker brings to the local streams, for every broker
 * alike: frames each channel event's id once for all its recipients, tracks
 * the position of each stream (starting a stream that has no `Last-Event-ID`
 * at the broker's head, told in an id-only block: see
 * `first-connect-anchor.ts`), and catches a stream up from history (after its
 * `Last-Event-ID`, or after the broker reported a gap) in pages fed as the
 * client drains them, holding live messages meanwhile within the stream's
 * byte budget. Memory per stream stays near `maxBufferedBytes` whatever the
 * history holds.
 */
export class DeliveryEngine {
  private readonly logger = new Logger('DeliveryEngine');
  private readonly members = new Map<string, HubMember>();
  private readonly reads: BrokerReads;
  private readonly anchors: FirstConnectAnchors;
  private closed = false;

  constructor(
    broker: SseBroker,
    private readonly registry: SseStreamRegistry,
    private readonly index: ChannelIndex<HubMember>,
    private readonly resetEventName: string,
  ) {
    this.reads = new BrokerReads(broker);
    this.anchors = new FirstConnectAnchors(this.reads);
  }

  /** The member of a stream, made on its first join; it lives as long as the stream (keeping its position). */
  memberOf(connection: SseConnection): HubMember {
    let member = this.members.get(connection.id);
    if (!member) {
      member = new HubMember(connection);
      // A stream the registry has let go of already is never forgotten again: keep no member for it.
      if (this.registry.get(connection.id) === connection) this.members.set(connection.id, member);
    }
    return member;
  }

  /** The stream is over: its member goes, with whatever it held. */
  forget(connection: SseConnection): void {
    const member = this.members.get(connection.id);
    if (!member) return;
    this.members.delete(connection.id);
    member.takeHeld();
    member.release();
  }

  /** The member of the stream with this id, if it has joined. */
  find(connectionId: string): HubMember | undefined {
    return this.members.get(connectionId);
  }

  /** The member just joined channels: from now on it receives their events live. */
  joined(member: HubMember): void {
    member.joinStamp = this.reads.joined();
  }

  close(): void {
    this.closed = true;
  }

  /**
   * A join of `member` has started: its catch-up from the stream's
   * `Last-Event-ID` (else from `after`, if given) waits for it. Without
   * either, the first join of a stream holds live messages until the stream
   * has its first position.
   */
  beginJoin(member: HubMember, after?: SseBrokerPosition): void {
    member.pendingJoins++;
    const from = parseEventId(member.connection.lastEventId) ?? after;
    if (!from) {
      if (member.position || member.anchoring || member.catchingUp) return;
      member.anchoring = 'joining';
      member.hold();
      member.firstPage ??= deferred();
      return;
    }
    member.hold();
    const pending = member.catchUpFrom;
    if (!pending || pending.epoch !== from.epoch || pending.seq > from.seq) member.catchUpFrom = from;
    // A catch-up already running writes on; the stream opens without waiting for another first page.
    if (!member.catchingUp) member.firstPage ??= deferred();
  }

  /**
   * A join of `member` is done (joined, or failed): once no other is pending,
   * its catch-up starts. Returns what the stream must wait for before it
   * opens (the catch-up's first page), if anything.
   */
  endJoin(member: HubMember): Promise<void> | undefined {
    member.pendingJoins--;
    const gate = member.firstPage?.promise;
    // Joins made in the same turn (merge(join(a), join(b))) catch up together: start once the turn is over.
    if (member.pendingJoins === 0 && (member.catchUpFrom || member.held)) queueMicrotask(() => this.afterJoins(member));
    return gate;
  }

  private afterJoins(member: HubMember): void {
    if (member.pendingJoins > 0 || member.anchoring === 'reading') return;
    if (member.anchoring) return this.anchors.start(member, (anchored) => this.afterJoins(anchored));
    const from = member.catchUpFrom;
    member.catchUpFrom = undefined;
    if (from) this.startCatchUp(member, from);
    else if (!member.catchingUp) this.releaseHeld(member);
  }

  /** Hands a message from the broker to the local streams it is for. */
  deliver(message: SseBrokerMessage): void {
    switch (message.type) {
      case 'channel': {
        const members = this.index.membersOf(message.channel);
        if (!members) return;
        const chunk = Buffer.from(frameOf(message));
        const position = { epoch: message.epoch, seq: message.seq };
        for (const member of members) {
          if (member.connection.id !== message.except) this.pushEvent(member, chunk, position);
        }
        return;
      }
      case 'broadcast': {
        const chunk = Buffer.from(message.payload);
        for (const connection of this.registry.live()) {
          if (connection.id !== message.except) this.push(connection, chunk);
        }
        return;
      }
      case 'connection': {
        const connection = this.registry.get(message.connectionId);
        if (connection) this.push(connection, Buffer.from(message.payload));
        return;
      }
      case 'user': {
        const tabs = this.registry.ofUser(message.userId);
        if (!tabs) return;
        const chunk = Buffer.from(message.payload);
        for (const connection of tabs) if (connection.id !== message.except) this.push(connection, chunk);
        return;
      }
      case 'disconnect':
        this.registry.get(message.connectionId)?.finish('disconnected');
        return;
      case 'revoke':
        this.registry.revoke(message.target, message.id);
        return;
      case 'gap':
        this.gap(message.after);
        return;
    }
  }

  /**
   * The broker may have missed messages and is back: every stream catches up
   * from history after `after` (or after its own position, if newer), before
   * what arrives next.
   */
  private gap(after: SseBrokerPosition): void {
    if (this.closed) return;
    for (const member of this.members.values()) {
      if (member.connection.closed || !this.index.isMember(member)) continue;
      if (member.catchingUp || member.catchUpFrom || member.anchoring) {
        member.readAgain = true;
        if (member.anchoring) member.catchUpFrom ??= after;
        if (member.catchUpFrom && member.catchUpFrom.epoch !== after.epoch) member.catchUpFrom = after;
        continue;
      }
      const own = member.position;
      this.startCatchUp(member, own && own.epoch === after.epoch && own.seq > after.seq ? own : after);
    }
  }

  private pushEvent(member: HubMember, chunk: Buffer, position: SseBrokerPosition): void {
    if (member.held) return this.hold(member, { chunk, position });
    if (member.has(position)) return;
    this.write(member.connection, chunk);
    member.position = position;
  }

  private push(connection: SseConnection, chunk: Buffer): void {
    const member = this.members.get(connection.id);
    if (member?.held) this.hold(member, { chunk });
    else this.write(connection, chunk);
  }

  private write(connection: SseConnection, chunk: Buffer | string): void {
    if (connection.write(chunk)) this.registry.counters.delivered++;
    else this.registry.counters.dropped++;
  }

  /**
   * Holds a live message while the stream catches up, within its byte budget
   * (see `HubMember.keep()`): if what is held is too much even without the
   * channel events, the client is not keeping up and the stream is cut.
   */
  private hold(member: HubMember, message: HeldMessage): void {
    if (member.connection.closed) return;
    if (member.keep(message, member.connection.options.maxBufferedBytes)) return;
    this.registry.slowClient(member.connection, member.heldBytes);
    member.connection.destroy('slow-client');
  }

  private startCatchUp(member: HubMember, from: SseBrokerPosition): void {
    // Whatever arrives live waits behind the catch-up: the stream's ids stay in order.
    member.hold();
    if (member.catchingUp) {
      member.readAgain = true;
      return;
    }
    member.catchingUp = true;
    this.catchUp(member, from)
      .catch((error: unknown) => {
        if (member.firstPage && !member.connection.isOpen) {
          // Before the stream opened: the request fails with the error's status (503 while the broker is away).
          member.firstPage.reject(error);
          return;
        }
        this.logger.warn(SSE_MESSAGES.catchUpFailed(member.connection.id, error));
        // What could not be read is lost to this stream: end it, so that the client resumes with its Last-Event-ID.
        member.connection.finish('error', { details: HISTORY_UNAVAILABLE });
      })
      .finally(() => {
        member.catchingUp = false;
        member.releaseGate();
        if (member.connection.closed) member.takeHeld();
      });
  }

  /**
   * Writes the events after `from` of the stream's channels, page by page,
   * each page once the client has taken most of the previous one; then what
   * was held meanwhile, skipping what the pages wrote.
   */
  private async catchUp(member: HubMember, from: SseBrokerPosition): Promise<void> {
    const connection = member.connection;
    const pageBytes = Math.max(1, Math.floor(connection.options.maxBufferedBytes / 8));
    let cursor =
      member.position && member.position.epoch === from.epoch && member.position.seq > from.seq
        ? member.position
        : from;
    let limit = FIRST_PAGE;
    let resetSent = false;
    if (connection.lastEventId !== undefined && !member.position) this.registry.counters.replays++;
    for (;;) {
      if (connection.closed || this.closed) return;
      member.readAgain = false;
      const channels = this.index.channelsOf(member);
      const page = await this.reads.page(member.joinStamp, channels, cursor, limit);
      if (connection.closed || this.closed) return;
      if (page.reset) {
        // One reset per catch-up: every later page of the same run would report the same gap.
        if (!resetSent) this.writeReset(member, page, cursor);
        resetSent = true;
        if (page.reset === 'unknown') cursor = page.head ?? { epoch: page.events[0]?.epoch ?? cursor.epoch, seq: 0 };
      }
      let bytes = 0;
      let written = 0;
      let cut = false;
      for (const event of page.events) {
        if (event.seq <= cursor.seq && event.epoch === cursor.epoch) continue;
        // A page of a few large events stops at the page budget: the next read resumes from the cursor.
        if (bytes >= pageBytes) {
          cut = true;
          break;
        }
        const frame = Buffer.from(frameOf(event));
        this.write(connection, frame);
        bytes += frame.length;
        written++;
        cursor = { epoch: event.epoch, seq: event.seq };
      }
      this.registry.counters.replayedEvents += written;
      if (written > 0 || page.reset === 'unknown') member.position = cursor;
      member.firstPage?.resolve();
      // A broker that says more follow but returned nothing would make this spin: take it as the end.
      const more = (page.more && page.events.length > 0) || cut;
      if (!more && !member.readAgain) {
        // Read up to the head: whatever of its channels history held up to there is written.
        if (page.head && page.reset !== 'unknown') member.passed(page.head);
        break;
      }
      if (written > 0) limit = Math.min(MAX_PAGE, Math.max(1, Math.floor(pageBytes / Math.max(1, bytes / written))));
      await connection.whenWritable();
    }
    this.releaseHeld(member);
  }

  /** Writes what was held, in order, skipping channel events the stream already has. */
  private releaseHeld(member: HubMember): void {
    const held = member.takeHeld();
    if (!held) return;
    for (const { chunk, position } of held) {
      if (position && member.has(position)) continue;
      this.write(member.connection, chunk);
      if (position) member.position = position;
    }
  }

  private writeReset(member: HubMember, page: SseHistoryPage, cursor: SseBrokerPosition): void {
    const connection = member.connection;
    this.registry.counters.resets++;
    const lastEventId = member.position ? formatEventId(cursor.epoch, cursor.seq) : connection.lastEventId;
    const head = page.head;
    const id = page.events.length === 0 && head ? formatEventId(head.epoch, head.seq) : undefined;
    this.write(connection, encodeEvent({ event: this.resetEventName, id, data: { reason: page.reset, lastEventId } }));
  }
}
