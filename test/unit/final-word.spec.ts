import { createParser, type EventSourceMessage } from 'eventsource-parser';
import { encodeFinalWord } from '../../lib/protocol/final-word.js';

function parse(text: string): { events: EventSourceMessage[]; retries: number[] } {
  const events: EventSourceMessage[] = [];
  const retries: number[] = [];
  const parser = createParser({ onEvent: (event) => events.push(event), onRetry: (retry) => retries.push(retry) });
  parser.feed(text);
  return { events, retries };
}

describe('encodeFinalWord', () => {
  it('frames one named event whose JSON data starts with the reason', () => {
    expect(encodeFinalWord('sse-end', 'completed')).toBe('event: sse-end\ndata: {"reason":"completed"}\n\n');
    expect(encodeFinalWord('sse-end', 'error', { status: 500, message: 'Internal server error' })).toBe(
      'event: sse-end\ndata: {"reason":"error","status":500,"message":"Internal server error"}\n\n',
    );
  });

  it('puts a retry hint in the same frame, and a client reads both', () => {
    const frame = encodeFinalWord('sse-end', 'shutdown', undefined, 4321);
    expect(frame).toBe('event: sse-end\nretry: 4321\ndata: {"reason":"shutdown"}\n\n');
    const { events, retries } = parse(frame);
    expect(retries).toEqual([4321]);
    expect(events).toEqual([{ event: 'sse-end', data: '{"reason":"shutdown"}', id: undefined }]);
  });

  it('never lets a detail override the reason', () => {
    expect(encodeFinalWord('sse-end', 'revoked', { reason: 'completed', by: 'admin' })).toBe(
      'event: sse-end\ndata: {"reason":"revoked","by":"admin"}\n\n',
    );
  });

  it('is JSON whatever the details hold: a detail with a line break stays on one data line', () => {
    const frame = encodeFinalWord('sse-end', 'error', { status: 503, message: 'a\nb\r\nc' });
    expect(frame.split('\n').filter((line) => line.startsWith('data:'))).toHaveLength(1);
    expect(JSON.parse(parse(frame).events[0].data)).toEqual({ reason: 'error', status: 503, message: 'a\nb\r\nc' });
  });

  it('says nothing when the name is false, but keeps a retry hint', () => {
    expect(encodeFinalWord(false, 'completed')).toBe('');
    expect(encodeFinalWord(false, 'shutdown', undefined, 1200)).toBe('retry: 1200\n\n');
  });

  it('refuses a name that would forge a frame', () => {
    expect(() => encodeFinalWord('end\ndata: forged', 'completed')).toThrow(/event/);
  });
});
