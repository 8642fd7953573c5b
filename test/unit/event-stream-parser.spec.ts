import { createParser } from 'eventsource-parser';
import {
  createEventStreamParser,
  SseParserOverflowError,
  type SseParsedEvent,
} from '../../lib/protocol/event-stream-parser.js';
import { prng } from '../utils/prng.js';

/** What a parser reported, in order: the same shape for ours and eventsource-parser's. */
type Entry = ['event', string, string, string | undefined] | ['comment', string] | ['retry', number];

const encoder = new TextEncoder();

/** The stream's bytes cut at `cuts` (byte offsets), each piece decoded by one streaming TextDecoder, as a client reads. */
function decodedPieces(stream: string, cuts: number[]): string[] {
  const bytes = encoder.encode(stream);
  const decoder = new TextDecoder();
  const pieces: string[] = [];
  let start = 0;
  for (const cut of [...cuts, bytes.length]) {
    pieces.push(decoder.decode(bytes.subarray(start, cut), { stream: cut < bytes.length }));
    start = cut;
  }
  return pieces;
}

function ours(pieces: string[]): Entry[] {
  const entries: Entry[] = [];
  const parser = createEventStreamParser({
    event: (e) => entries.push(['event', e.type, e.data, e.id]),
    comment: (text) => entries.push(['comment', text]),
    retry: (ms) => entries.push(['retry', ms]),
  });
  for (const piece of pieces) parser.feed(piece);
  return entries;
}

function theirs(pieces: string[]): Entry[] {
  const entries: Entry[] = [];
  const parser = createParser({
    onEvent: (e) => entries.push(['event', e.event ?? 'message', e.data, e.id]),
    onComment: (text) => entries.push(['comment', text]),
    onRetry: (ms) => entries.push(['retry', ms]),
  });
  for (const piece of pieces) parser.feed(piece);
  return entries;
}

/** Every way the test cuts one stream: whole, byte by byte, and `randomSplits` seeded random cuts. */
function splits(stream: string, random: () => number, randomSplits: number): number[][] {
  const length = encoder.encode(stream).length;
  const all: number[][] = [[], Array.from({ length: Math.max(0, length - 1) }, (_, i) => i + 1)];
  for (let i = 0; i < randomSplits; i++) {
    const cuts = new Set<number>();
    const count = Math.floor(random() * Math.min(12, length));
    for (let c = 0; c < count; c++) cuts.add(1 + Math.floor(random() * Math.max(1, length - 1)));
    all.push([...cuts].filter((cut) => cut < length).sort((a, b) => a - b));
  }
  return all;
}

/**
 * The fixed corpus: every stream ends with LF (a stream that ends on a lone CR is a line break for us at once, while
 * eventsource-parser waits for a possible LF; the end of a stream discards the unfinished block either way).
 */
const CORPUS: Record<string, string> = {
  'LF lines': 'data: a\n\ndata: b\n\n',
  'CRLF lines': 'data: a\r\n\r\nevent: tick\r\ndata: b\r\n\r\n',
  'CR lines': 'data: a\r\rdata: b\r\r\n',
  'CR, LF and CRLF mixed': 'data: 1\rdata: 2\ndata: 3\r\n\revent: x\r\ndata: y\n\r\n',
  'CR at a chunk end, then LF (one line break)': 'data: a\r\n\r\ndata: b\r\n\n',
  'data with no colon': 'data\n\ndata\ndata\n\n',
  'data: empty': 'data:\n\ndata: \n\n',
  'two spaces after the colon keep one': 'data:  x\nevent:  spaced\n\n',
  'no space after the colon': 'data:x\nevent:t\nid:9\n\n',
  'unknown fields are ignored': 'foo: bar\nData: caps\nDATA: x\ndata: kept\nevent : no\n\n',
  'retry: digits only': 'retry: 1500\n\nretry: 12a\n\nretry: -1\n\nretry:\n\nretry: 0\n\nretry:  7\n\nretry: ٣\n\n',
  'NUL in an id is ignored': 'id: a\0b\ndata: x\n\nid: ok\ndata: y\n\n',
  'comments with and without a space': ': with space\n:without\n:  two\n:\ndata: x\n\n',
  'event without data dispatches nothing': 'event: lonely\n\nevent: x\nid: 3\n\ndata: after\n\n',
  'id-only block dispatches nothing': 'id: 42\n\ndata: then\n\n',
  'an empty event name is message': 'event:\ndata: x\n\nevent\ndata: y\n\n',
  'many data lines': `${Array.from({ length: 50 }, (_, i) => `data: line ${i}`).join('\n')}\n\n`,
  'unicode and emoji (split across chunks)':
    'data: 😀 é ü 中文 🏳️‍🌈\nevent: ünï\nid: ☃\n\n: 💬 comment\ndata: \u2028\u2029\n\n',
  'the last event field wins': 'event: a\nevent: b\ndata: x\n\n',
  'a block not ended by a blank line is not dispatched': 'data: done\n\ndata: unfinished\n',
  'colon inside values': 'data: a: b: c\nevent: x:y\n\n',
  'leading blank lines': '\n\n\r\ndata: x\n\n',
};

/** A random stream from the same pieces: fields, values and line breaks of every kind. */
function randomStream(random: () => number): string {
  const lines = [
    'data: x',
    'data:',
    'data',
    'data:  two',
    'data: 😀é',
    'event: tick',
    'event:',
    'event',
    'id: 7',
    'id',
    'id: a\0b',
    'id:  sp',
    'retry: 100',
    'retry: 12a',
    'retry:',
    ': comment',
    ':nospace',
    'foo: bar',
    'data: a:b',
    '',
    '',
    '',
  ];
  const breaks = ['\n', '\r\n', '\r'];
  let text = '';
  const count = 1 + Math.floor(random() * 30);
  for (let i = 0; i < count; i++) {
    text += lines[Math.floor(random() * lines.length)] + breaks[Math.floor(random() * breaks.length)];
  }
  return `${text}\n\n`;
}

describe('the event-stream parser, byte for byte against eventsource-parser 3.1.1', () => {
  for (const [name, stream] of Object.entries(CORPUS)) {
    it(`${name}: the same events, comments and retries, whole, byte by byte and in random splits`, () => {
      const random = prng(name.length * 7919);
      const expected = theirs([stream]);
      for (const cuts of splits(stream, random, 50)) {
        const pieces = decodedPieces(stream, cuts);
        expect(ours(pieces)).toEqual(expected);
        expect(theirs(pieces)).toEqual(expected);
      }
    });
  }

  it('600 generated streams: the same events, comments and retries in random splits', () => {
    const random = prng(20261201);
    let events = 0;
    for (let n = 0; n < 600; n++) {
      const stream = randomStream(random);
      const expected = theirs([stream]);
      events += expected.length;
      for (const cuts of splits(stream, random, 3)) expect(ours(decodedPieces(stream, cuts))).toEqual(expected);
    }
    // The generator produces real work, not 600 empty streams.
    expect(events).toBeGreaterThan(1500);
  });
});

describe('the event-stream parser, beyond eventsource-parser', () => {
  function collect(options?: Parameters<typeof createEventStreamParser>[1]) {
    const events: SseParsedEvent[] = [];
    const ids: string[] = [];
    const parser = createEventStreamParser({ event: (e) => events.push(e), id: (id) => ids.push(id) }, options);
    return { parser, events, ids };
  }

  it('reports an id-only block to the id handler, and moves the last event id without dispatching', () => {
    const { parser, events, ids } = collect();
    parser.feed('retry: 10\n\nid: ep.41\n\n: hi\n\n');
    expect(events).toEqual([]);
    expect(ids).toEqual(['ep.41']);
    expect(parser.lastEventId).toBe('ep.41');
    parser.feed('data: x\n\n');
    expect(events).toEqual([{ type: 'message', data: 'x', lastEventId: 'ep.41' }]);
  });

  it('keeps the last event id across blocks without an id, and through reset()', () => {
    const { parser, events } = collect({ lastEventId: 'start' });
    parser.feed('data: a\n\nid: 5\ndata: b\n\ndata: c\n\ndata: unfinished');
    expect(events.map((e) => [e.data, e.id, e.lastEventId])).toEqual([
      ['a', undefined, 'start'],
      ['b', '5', '5'],
      ['c', undefined, '5'],
    ]);
    parser.reset();
    parser.feed('\n\ndata: d\n\n');
    expect(events.at(-1)).toEqual({ type: 'message', data: 'd', lastEventId: '5' });
  });

  it('an empty id field resets the last event id to empty', () => {
    const { parser, events } = collect({ lastEventId: 'x' });
    parser.feed('id\ndata: a\n\n');
    expect(events).toEqual([{ type: 'message', data: 'a', lastEventId: '', id: '' }]);
  });

  it('drops a leading U+FEFF (once, at the start of the stream and after reset())', () => {
    const { parser, events } = collect();
    parser.feed('\ufeffdata: a\n\n\ufeffdata: b\n\n');
    expect(events.map((e) => e.data)).toEqual(['a']);
    parser.reset();
    parser.feed('\ufeffdata: c\n\n');
    expect(events.map((e) => e.data)).toEqual(['a', 'c']);
    const bytes = collect();
    for (const piece of decodedPieces('\ufeffdata: d\n\n', [1, 2])) bytes.parser.feed(piece);
    expect(bytes.events.map((e) => e.data)).toEqual(['d']);
  });

  it('throws SseParserOverflowError past maxBufferSize, for one long line and for one long event, and parses on after', () => {
    const line = collect({ maxBufferSize: 100 });
    expect(() => line.parser.feed('data: ' + 'x'.repeat(200))).toThrow(SseParserOverflowError);
    line.parser.reset();
    line.parser.feed('data: ok\n\n');
    expect(line.events.map((e) => e.data)).toEqual(['ok']);

    const event = collect({ maxBufferSize: 100 });
    let error: unknown;
    try {
      for (let i = 0; i < 30; i++) event.parser.feed('data: 0123456789\n');
    } catch (caught) {
      error = caught;
    }
    expect(error).toBeInstanceOf(SseParserOverflowError);
    expect((error as Error).message).toMatch(/longer than 100 characters \(maxBufferSize\).*Raise maxBufferSize/);
    event.parser.feed('\ndata: small\n\n');
    expect(event.events.map((e) => e.data)).toEqual(['small']);
  });

  it('a 4 MiB line in 16 KiB chunks: parsed whole, each character searched a bounded number of times (linear, not quadratic)', () => {
    const size = 4 * 1024 * 1024;
    const piece = 'x'.repeat(16 * 1024);
    const { parser, events } = collect();
    // Counts the characters every String#indexOf call may scan: the parser's only search for line breaks.
    const indexOf = String.prototype.indexOf;
    let scanned = 0;
    String.prototype.indexOf = function (this: string, search: string, from?: number) {
      scanned += this.length - Math.max(0, from ?? 0);
      return indexOf.call(this, search, from);
    };
    try {
      parser.feed('event: big\ndata: ');
      for (let fed = 0; fed < size; fed += piece.length) parser.feed(piece);
      parser.feed('\r');
      parser.feed('\n\r\n');
    } finally {
      String.prototype.indexOf = indexOf;
    }
    expect(events).toHaveLength(1);
    expect(events[0].type).toBe('big');
    expect(events[0].data.length).toBe(size);
    expect(events[0].data === 'x'.repeat(size)).toBe(true);
    // LF and CR are each searched once per character: about 2 × 4 MiB. The quadratic way was ~256 × that.
    expect(scanned).toBeLessThan(3 * size);
  });

  it('holds no more than maxBufferSize for a stream of many small events', () => {
    const { parser, events } = collect({ maxBufferSize: 64 });
    for (let i = 0; i < 1000; i++) parser.feed(`data: ${i}\n\n`);
    expect(events).toHaveLength(1000);
  });
});
