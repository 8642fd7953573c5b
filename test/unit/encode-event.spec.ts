import { createParser, type EventSourceMessage, type ParseError } from 'eventsource-parser';
import {
  encodeComment,
  encodeEvent,
  encodeRetry,
  isSseEvent,
  jsonSerializer,
  SseEvent,
  sseEvent,
  SseFrameError,
  type SseEventInit,
  type SseFrameField,
} from '../../lib/index.js';
import { toSseEventInit } from '../../lib/protocol/sse-event.js';

/** What a spec-following client makes of `text`: its events, retries, comments and parse errors. */
function parse(text: string) {
  const events: EventSourceMessage[] = [];
  const retries: number[] = [];
  const comments: string[] = [];
  const errors: ParseError[] = [];
  const parser = createParser({
    onEvent: (event) => events.push(event),
    onRetry: (retry) => retries.push(retry),
    onComment: (comment) => comments.push(comment),
    onError: (error) => errors.push(error),
  });
  parser.feed(text);
  return { events, retries, comments, errors };
}

function frameErrorOf(encode: () => unknown): SseFrameError {
  try {
    encode();
  } catch (error) {
    expect(error).toBeInstanceOf(SseFrameError);
    return error as SseFrameError;
  }
  throw new Error('expected an SseFrameError, but nothing was thrown');
}

function expectFrameError(encode: () => unknown, field: SseFrameField): SseFrameError {
  const error = frameErrorOf(encode);
  expect(error.field).toBe(field);
  expect(error.name).toBe('SseFrameError');
  return error;
}

describe('encodeEvent', () => {
  describe('data', () => {
    it('writes a single-line string as one data line and ends the frame with a blank line', () => {
      expect(encodeEvent({ data: 'hello' })).toBe('data: hello\n\n');
    });

    it('splits data on LF into one data line per line', () => {
      expect(encodeEvent({ data: 'a\nb\nc' })).toBe('data: a\ndata: b\ndata: c\n\n');
    });

    it('splits data on a lone CR', () => {
      expect(encodeEvent({ data: 'a\rb' })).toBe('data: a\ndata: b\n\n');
    });

    it('splits data on CRLF as one line break, not two', () => {
      expect(encodeEvent({ data: 'a\r\nb' })).toBe('data: a\ndata: b\n\n');
    });

    it('splits mixed line breaks, keeping empty lines, including LF CR (two breaks)', () => {
      expect(encodeEvent({ data: 'a\r\nb\rc\nd\n\re\r\n\r\nf' })).toBe(
        'data: a\ndata: b\ndata: c\ndata: d\ndata: \ndata: e\ndata: \ndata: f\n\n',
      );
    });

    it('keeps leading and trailing line breaks as empty data lines', () => {
      expect(encodeEvent({ data: '\nmiddle\n' })).toBe('data: \ndata: middle\ndata: \n\n');
    });

    it('writes unicode and emoji unchanged', () => {
      expect(encodeEvent({ data: 'héllo wörld 日本語 👩‍💻🎉' })).toBe('data: héllo wörld 日本語 👩‍💻🎉\n\n');
    });

    it('writes NUL inside data, which the format allows', () => {
      expect(encodeEvent({ data: 'a\0b' })).toBe('data: a\0b\n\n');
    });

    it('keeps a leading space of the value (the client strips only the one after the colon)', () => {
      expect(encodeEvent({ data: ' indented' })).toBe('data:  indented\n\n');
    });

    it('writes 1 MB of data in one line, byte for byte', () => {
      const big = 'x'.repeat(1024 * 1024);
      const frame = encodeEvent({ data: big });
      expect(frame.length).toBe('data: '.length + big.length + 2);
      expect(frame).toBe(`data: ${big}\n\n`);
    });

    it('writes the number 0', () => {
      expect(encodeEvent({ data: 0 })).toBe('data: 0\n\n');
    });

    it('writes false', () => {
      expect(encodeEvent({ data: false })).toBe('data: false\n\n');
    });

    it('writes null as JSON null', () => {
      expect(encodeEvent({ data: null })).toBe('data: null\n\n');
    });

    it("writes '' as one empty data line, which still dispatches an event", () => {
      const frame = encodeEvent({ data: '' });
      expect(frame).toBe('data: \n\n');
      expect(parse(frame).events).toEqual([{ id: undefined, event: undefined, data: '' }]);
    });

    it('serializes objects and arrays as JSON', () => {
      expect(encodeEvent({ data: { a: 1, b: [true, null], c: 'x\ny' } })).toBe(
        'data: {"a":1,"b":[true,null],"c":"x\\ny"}\n\n',
      );
      expect(encodeEvent({ data: [1, 'two', { three: 3 }] })).toBe('data: [1,"two",{"three":3}]\n\n');
    });

    it('uses a custom serializer for non-string data and splits what it returns', () => {
      const serializer = (value: unknown) => `custom\n${JSON.stringify(value)}`;
      expect(encodeEvent({ data: { n: 1 } }, serializer)).toBe('data: custom\ndata: {"n":1}\n\n');
    });

    it('writes strings as they are, without the serializer', () => {
      let calls = 0;
      const serializer = () => {
        calls++;
        return 'never';
      };
      expect(encodeEvent({ data: 'plain' }, serializer)).toBe('data: plain\n\n');
      expect(calls).toBe(0);
    });

    it('refuses data the serializer throws on (field "data")', () => {
      const error = expectFrameError(
        () =>
          encodeEvent({ data: { n: 1 } }, () => {
            throw new Error('boom');
          }),
        'data',
      );
      expect(error.message).toContain('boom');
    });

    it('names what a serializer threw, also when it is not an Error', () => {
      const error = expectFrameError(
        () =>
          encodeEvent({ data: { n: 1 } }, () => {
            throw 'unsupported type';
          }),
        'data',
      );
      expect(error.message).toContain('could not be serialized: unsupported type.');
    });

    it('refuses data JSON cannot serialize: a BigInt and a cycle (field "data")', () => {
      expectFrameError(() => encodeEvent({ data: 10n }), 'data');
      const cyclic: Record<string, unknown> = {};
      cyclic.self = cyclic;
      expectFrameError(() => encodeEvent({ data: cyclic }), 'data');
    });

    it('refuses data the serializer turns into something other than a string (field "data")', () => {
      expectFrameError(() => encodeEvent({ data: () => 1 }), 'data');
      expectFrameError(() => encodeEvent({ data: Symbol('s') }), 'data');
      expectFrameError(() => encodeEvent({ data: { n: 1 } }, (() => 42) as never), 'data');
    });
  });

  describe('event, id, retry and comment', () => {
    it('writes a full envelope in a fixed field order', () => {
      expect(encodeEvent({ comment: 'c', event: 'tick', id: 7, retry: 100, data: { n: 1 } })).toBe(
        'event: tick\nid: 7\nretry: 100\n: c\ndata: {"n":1}\n\n',
      );
    });

    it('writes id 0 and retry 0', () => {
      expect(encodeEvent({ id: 0, data: 'x' })).toBe('id: 0\ndata: x\n\n');
      expect(encodeEvent({ retry: 0 })).toBe('retry: 0\n\n');
    });

    it('writes an empty id, which resets the last event id on the client', () => {
      expect(encodeEvent({ id: '', data: 'x' })).toBe('id: \ndata: x\n\n');
    });

    it('writes an id-only frame, which updates the id without dispatching', () => {
      const frame = encodeEvent({ id: 42 });
      expect(frame).toBe('id: 42\n\n');
      expect(parse(frame).events).toEqual([]);
    });

    it('writes a multi-line comment with a colon on every line', () => {
      expect(encodeEvent({ comment: 'one\ntwo\r\nthree' })).toBe(': one\n: two\n: three\n\n');
    });

    it.each([
      ['LF', 'a\nb'],
      ['CR', 'a\rb'],
      ['CRLF', 'a\r\nb'],
      ['NUL', 'a\0b'],
      ['a forged frame', 'x\n\ndata: forged'],
    ])('refuses an event name containing %s (field "event")', (_what, name) => {
      expectFrameError(() => encodeEvent({ event: name, data: 'x' }), 'event');
    });

    it('refuses an empty event name (field "event")', () => {
      expectFrameError(() => encodeEvent({ event: '', data: 'x' }), 'event');
    });

    it('refuses an id or comment that has no text form, instead of throwing a TypeError out of the stream', () => {
      const noText = Object.create(null) as never;
      expectFrameError(() => encodeEvent({ id: noText, data: 'x' }), 'id');
      expectFrameError(() => encodeEvent({ comment: noText, data: 'x' }), 'comment');
    });

    it('refuses a non-string event name (field "event")', () => {
      expectFrameError(() => encodeEvent({ event: 5 as unknown as string, data: 'x' }), 'event');
    });

    it.each(['open', 'error'])('refuses the event name "%s", which browsers hand to their own handler', (name) => {
      const error = expectFrameError(() => encodeEvent({ event: name, data: 'x' }), 'event');
      expect(error.message).toContain(`on${name}`);
    });

    it.each([
      ['LF', 'a\nb'],
      ['CR', 'a\rb'],
      ['CRLF', 'a\r\nb'],
      ['NUL', 'a\0b'],
      ['a forged frame', '1\n\ndata: forged'],
    ])('refuses an id containing %s (field "id")', (_what, id) => {
      expectFrameError(() => encodeEvent({ id, data: 'x' }), 'id');
    });

    it.each([
      ['negative', -1],
      ['a float', 1.5],
      ['NaN', Number.NaN],
      ['Infinity', Number.POSITIVE_INFINITY],
      ['a numeric string', '100' as unknown as number],
    ])('refuses a retry that is %s (field "retry")', (_what, retry) => {
      expectFrameError(() => encodeEvent({ retry, data: 'x' }), 'retry');
    });

    it('refuses a named event without data, which clients would never dispatch (field "data")', () => {
      expectFrameError(() => encodeEvent({ event: 'tick' }), 'data');
      expectFrameError(() => encodeEvent({ event: 'tick', id: 1 }), 'data');
    });

    it('refuses an empty envelope (field "frame")', () => {
      expectFrameError(() => encodeEvent({}), 'frame');
      expectFrameError(() => encodeEvent(sseEvent({})), 'frame');
    });

    it('writes nothing of a refused event: the error is thrown before any text is returned', () => {
      // Whatever was valid in the envelope must not leak out: encodeEvent returns nothing at all.
      let result: string | undefined;
      expect(() => {
        result = encodeEvent({ comment: 'ok', id: 1, event: 'x\ny', data: 'z' });
      }).toThrow(SseFrameError);
      expect(result).toBeUndefined();
    });
  });

  describe('round trip through a spec-following parser', () => {
    const cases: [string, SseEventInit, Partial<EventSourceMessage>][] = [
      ['plain text', { data: 'hello' }, { data: 'hello' }],
      ['LF lines', { data: 'a\nb' }, { data: 'a\nb' }],
      ['CR lines', { data: 'a\rb' }, { data: 'a\nb' }],
      ['CRLF lines', { data: 'a\r\nb' }, { data: 'a\nb' }],
      ['mixed line breaks', { data: 'a\r\n\rb\n\nc\r' }, { data: 'a\n\nb\n\nc\n' }],
      ['a blank line inside data', { data: 'x\n\ndata: forged' }, { data: 'x\n\ndata: forged' }],
      ['only line breaks', { data: '\n\r\n\r' }, { data: '\n\n\n' }],
      ['empty data', { data: '' }, { data: '' }],
      ['leading spaces', { data: '  two spaces' }, { data: '  two spaces' }],
      ['a colon first', { data: ':not a comment' }, { data: ':not a comment' }],
      ['field-like text', { data: 'event: x\nid: 9\nretry: 1' }, { data: 'event: x\nid: 9\nretry: 1' }],
      ['NUL', { data: '\0' }, { data: '\0' }],
      ['unicode and emoji', { data: 'ß 日本 🚀 \u2028 \u2029' }, { data: 'ß 日本 🚀 \u2028 \u2029' }],
      ['zero', { data: 0 }, { data: '0' }],
      ['false', { data: false }, { data: 'false' }],
      [
        'an object that looks like an envelope',
        { data: { data: 'x', event: 'y' } },
        { data: '{"data":"x","event":"y"}' },
      ],
      ['a named event', { event: 'tick', data: 'x' }, { event: 'tick', data: 'x' }],
      ['a unicode event name', { event: 'événement-🎉', data: 'x' }, { event: 'événement-🎉', data: 'x' }],
      ['an event name with a leading space', { event: ' spaced', data: 'x' }, { event: ' spaced', data: 'x' }],
      ['id 0', { id: 0, data: 'x' }, { id: '0', data: 'x' }],
      ['a unicode id', { id: 'ïd-😀', data: 'x' }, { id: 'ïd-😀', data: 'x' }],
      ['an empty id', { id: '', data: 'x' }, { id: '', data: 'x' }],
      [
        'everything',
        { comment: 'a\nb', event: 'e', id: 'i', retry: 5, data: 'l1\r\nl2' },
        { event: 'e', id: 'i', data: 'l1\nl2' },
      ],
    ];

    it.each(cases)('%s arrives as exactly the intended event', (_name, init, expected) => {
      const { events, errors } = parse(encodeEvent(init));
      expect(errors).toEqual([]);
      expect(events).toEqual([{ id: undefined, event: undefined, ...expected }]);
    });

    it('a sequence of tricky frames arrives as the same sequence of events, and the retry as a retry', () => {
      const text = cases.map(([, init]) => encodeEvent(init)).join('');
      const { events, retries, comments } = parse(text);
      expect(events).toEqual(cases.map(([, , expected]) => ({ id: undefined, event: undefined, ...expected })));
      expect(retries).toEqual([5]);
      expect(comments).toEqual(['a', 'b']);
    });

    it('every frame ends with exactly one blank line and uses LF only', () => {
      for (const [, init] of cases) {
        const frame = encodeEvent(init);
        expect(frame.endsWith('\n\n')).toBe(true);
        expect(frame.endsWith('\n\n\n')).toBe(false);
        expect(frame).not.toMatch(/\r/);
      }
    });
  });
});

describe('encodeComment', () => {
  it('writes a comment line, which clients ignore', () => {
    expect(encodeComment('heartbeat')).toBe(': heartbeat\n');
    expect(parse(encodeComment('heartbeat'))).toMatchObject({ events: [], comments: ['heartbeat'] });
  });

  it('writes an empty comment', () => {
    expect(encodeComment('')).toBe(': \n');
  });

  it('puts a colon on every line of a multi-line comment, so no line becomes a field', () => {
    const frame = encodeComment('a\ndata: forged\r\nb\rc');
    expect(frame).toBe(': a\n: data: forged\n: b\n: c\n');
    expect(parse(`${frame}\n`).events).toEqual([]);
  });
});

describe('encodeRetry', () => {
  it('writes a retry-only frame', () => {
    expect(encodeRetry(3000)).toBe('retry: 3000\n\n');
    expect(encodeRetry(0)).toBe('retry: 0\n\n');
    expect(parse(encodeRetry(3000))).toMatchObject({ events: [], retries: [3000] });
  });

  it.each([-1, 1.5, Number.NaN])('refuses %p (field "retry")', (retry) => {
    expectFrameError(() => encodeRetry(retry), 'retry');
  });
});

describe('sseEvent / isSseEvent / toSseEventInit', () => {
  it('makes an envelope that keeps only the fields that were given', () => {
    const event = sseEvent({ event: 'tick', data: 0, id: undefined });
    expect(event).toBeInstanceOf(SseEvent);
    expect(Object.keys(event).sort()).toEqual(['data', 'event']);
    expect(event).toMatchObject({ event: 'tick', data: 0 });
    expect('id' in event).toBe(false);
  });

  it('keeps falsy fields', () => {
    const event = sseEvent({ data: '', id: 0, retry: 0, comment: '' });
    expect(encodeEvent(event)).toBe('id: 0\nretry: 0\n: \ndata: \n\n');
  });

  it('recognises envelopes, also from another copy of the package (the global brand)', () => {
    expect(isSseEvent(sseEvent({ data: 1 }))).toBe(true);
    expect(isSseEvent({ [Symbol.for('nestjs-event-stream.SseEvent')]: true, data: 1 })).toBe(true);
  });

  it.each([
    ['a plain object with data and event', { data: 'x', event: 'y' }],
    ['null', null],
    ['undefined', undefined],
    ['a string', 'x'],
    ['0', 0],
    ['an array', [1]],
  ])('does not take %s for an envelope', (_what, value) => {
    expect(isSseEvent(value)).toBe(false);
  });

  it('treats a plain object { data, event } as the DATA of an unnamed message', () => {
    const value = { data: 'x', event: 'y' };
    expect(toSseEventInit(value)).toEqual({ data: value });
    expect(encodeEvent(toSseEventInit(value))).toBe('data: {"data":"x","event":"y"}\n\n');
  });

  it('passes an envelope through as it is', () => {
    const event = sseEvent({ event: 'e', data: 'd' });
    expect(toSseEventInit(event)).toBe(event);
    expect(encodeEvent(toSseEventInit(event))).toBe('event: e\ndata: d\n\n');
  });

  it('makes falsy stream values the data of a message', () => {
    expect(toSseEventInit(0)).toEqual({ data: 0 });
    expect(toSseEventInit('')).toEqual({ data: '' });
    expect(toSseEventInit(false)).toEqual({ data: false });
    expect(encodeEvent(toSseEventInit(false))).toBe('data: false\n\n');
  });
});

describe('jsonSerializer', () => {
  it('is JSON.stringify', () => {
    expect(jsonSerializer({ a: [1] })).toBe('{"a":[1]}');
  });
});
