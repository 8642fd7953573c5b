/**
 * Which stream joined which channel: the one index of channel membership, in
 * both directions. A stream may join a channel more than once (two joins of
 * one handler); it leaves it when the last of them does.
 */
export class ChannelIndex<M> {
  private readonly byChannel = new Map<string, Set<M>>();
  private readonly byMember = new Map<M, Map<string, number>>();

  /** Adds one join of `member` to `channel`; returns whether the channel had no member before (subscribe it). */
  add(member: M, channel: string): boolean {
    let joins = this.byMember.get(member);
    if (!joins) this.byMember.set(member, (joins = new Map()));
    joins.set(channel, (joins.get(channel) ?? 0) + 1);
    const members = this.byChannel.get(channel);
    if (members) {
      members.add(member);
      return false;
    }
    this.byChannel.set(channel, new Set([member]));
    return true;
  }

  /** Removes one join of `member` from `channel`; returns whether the channel has no member left (unsubscribe it). */
  remove(member: M, channel: string): boolean {
    const joins = this.byMember.get(member);
    const count = joins?.get(channel);
    if (!joins || count === undefined) return false;
    if (count > 1) {
      joins.set(channel, count - 1);
      return false;
    }
    joins.delete(channel);
    if (joins.size === 0) this.byMember.delete(member);
    const members = this.byChannel.get(channel);
    if (!members?.delete(member) || members.size > 0) return false;
    this.byChannel.delete(channel);
    return true;
  }

  /** The members of `channel`. */
  membersOf(channel: string): ReadonlySet<M> | undefined {
    return this.byChannel.get(channel);
  }

  /** The channels `member` joined, sorted. */
  channelsOf(member: M): string[] {
    const joins = this.byMember.get(member);
    return joins ? [...joins.keys()].sort() : [];
  }

  has(member: M, channel: string): boolean {
    return this.byMember.get(member)?.has(channel) === true;
  }

  /** Whether `member` is in any channel. */
  isMember(member: M): boolean {
    return this.byMember.has(member);
  }

  /** Whether `channel` has members. */
  hasChannel(channel: string): boolean {
    return this.byChannel.has(channel);
  }

  /** How many members `channel` has. */
  count(channel: string): number {
    return this.byChannel.get(channel)?.size ?? 0;
  }

  /** How many channels have members. */
  get channels(): number {
    return this.byChannel.size;
  }

  /** Members per channel. */
  counts(): Map<string, number> {
    return new Map([...this.byChannel].map(([channel, members]) => [channel, members.size]));
  }
}
