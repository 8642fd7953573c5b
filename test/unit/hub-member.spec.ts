import { HubMember, type FramedMessage } from '../../lib/hub/hub-member.js';
import type { SseConnection } from '../../lib/connection/sse-connection.js';

const event = (channel: string, seq: number): FramedMessage => ({
  type: 'channel',
  channel,
  seq,
  id: `e.${seq}`,
  frame: `id: e.${seq}\ndata: ${seq}\n\n`,
});

describe('HubMember buffering', () => {
  it('hands out nothing while another join still replays, then skips what any replay of the period wrote', () => {
    const member = new HubMember({} as SseConnection);
    member.startBuffering(); // join A (channel a)
    member.startBuffering(); // join B (channel b)
    member.buffer!.push(event('a', 5), event('b', 6), event('a', 7), event('b', 8), { type: 'broadcast', frame: 'x' });
    expect(member.stopBuffering(['a'], 5)).toEqual([]);
    const flushed = member.stopBuffering(['b'], 6);
    expect(flushed.map((m) => (m.type === 'channel' ? m.seq : m.type))).toEqual([7, 8, 'broadcast']);
    expect(member.buffer).toBeUndefined();
  });

  it('delivers every buffered message when no replay ran', () => {
    const member = new HubMember({} as SseConnection);
    member.startBuffering();
    member.buffer!.push(event('a', 1), event('a', 2));
    expect(member.stopBuffering(['a'], 0)).toHaveLength(2);
  });
});
