import { encodeComment } from '../protocol/encode-event.js';

/** The comment written to a stream that has been silent for a heartbeat period. */
const HEARTBEAT_FRAME = encodeComment('heartbeat');
const HEARTBEAT_BYTES = Buffer.byteLength(HEARTBEAT_FRAME);

/** What the heartbeat needs of a connection. */
export interface HeartbeatTarget {
  idle: boolean;
  readonly options: { readonly heartbeatMs: number };
  write(frame: string, bytes?: number): boolean;
}

/**
 * One timer per distinct `heartbeatMs` for all connections that use it, not a
 * timer per connection. On each beat, a connection that wrote nothing since the
 * last beat gets a comment, so no stream stays silent for two periods.
 */
export class Heartbeat {
  private readonly groups = new Map<number, { members: Set<HeartbeatTarget>; timer: NodeJS.Timeout }>();

  add(target: HeartbeatTarget): void {
    const period = target.options.heartbeatMs;
    if (period <= 0) return;
    let group = this.groups.get(period);
    if (!group) {
      const members = new Set<HeartbeatTarget>();
      const timer = setInterval(() => this.beat(members), period);
      timer.unref();
      group = { members, timer };
      this.groups.set(period, group);
    }
    target.idle = true;
    group.members.add(target);
  }

  remove(target: HeartbeatTarget): void {
    const period = target.options.heartbeatMs;
    const group = this.groups.get(period);
    if (!group || !group.members.delete(target) || group.members.size > 0) return;
    clearInterval(group.timer);
    this.groups.delete(period);
  }

  /** How many timers run now (one per distinct period in use). */
  get timers(): number {
    return this.groups.size;
  }

  stop(): void {
    for (const group of this.groups.values()) clearInterval(group.timer);
    this.groups.clear();
  }

  private beat(members: Set<HeartbeatTarget>): void {
    for (const target of members) {
      if (target.idle) target.write(HEARTBEAT_FRAME, HEARTBEAT_BYTES);
      target.idle = true;
    }
  }
}
