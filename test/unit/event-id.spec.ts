import { formatEventId, parseEventId } from '../../lib/index.js';
import { newEpoch } from '../../lib/protocol/event-id.js';
import { MAX_LAST_EVENT_ID_LENGTH } from '../../lib/protocol/last-event-id.js';

describe('hub event ids', () => {
  it('formats <epoch>.<seq> and parses it back', () => {
    expect(formatEventId('lzx1abc', 42)).toBe('lzx1abc.42');
    expect(parseEventId('lzx1abc.42')).toEqual({ epoch: 'lzx1abc', seq: 42 });
  });

  it('parses <epoch>.0, the position before the first event (the anchor of an empty namespace)', () => {
    expect(parseEventId('lzx1abc.0')).toEqual({ epoch: 'lzx1abc', seq: 0 });
    expect(parseEventId('lzx1abc.00')).toBeUndefined();
  });

  it('makes epochs of lowercase letters and digits only, short, and different on every start', () => {
    const epochs = new Set(Array.from({ length: 50 }, () => newEpoch()));
    expect(epochs.size).toBe(50);
    for (const epoch of epochs) {
      expect(epoch).toMatch(/^[a-z0-9]{1,16}$/);
      expect(parseEventId(formatEventId(epoch, 1))).toEqual({ epoch, seq: 1 });
    }
  });

  it('keeps every id to [a-z0-9.] and far below the Last-Event-ID length limit', () => {
    const id = formatEventId(newEpoch(), Number.MAX_SAFE_INTEGER);
    expect(id).toMatch(/^[a-z0-9.]+$/);
    expect(id.length).toBeLessThanOrEqual(33);
    expect(id.length).toBeLessThan(MAX_LAST_EVENT_ID_LENGTH);
    expect(parseEventId(id)?.seq).toBe(Number.MAX_SAFE_INTEGER);
  });

  it('orders positions of one epoch by seq, also where string order would not', () => {
    const nine = parseEventId('e1.9')!;
    const ten = parseEventId('e1.10')!;
    expect(ten.seq).toBeGreaterThan(nine.seq);
    expect('e1.10' < 'e1.9').toBe(true);
  });

  it.each([
    ['absent', undefined],
    ['empty', ''],
    ['a plain number (an id from elsewhere)', '42'],
    ['without a seq', 'abc.'],
    ['without an epoch', '.12'],
    ['with a leading zero', 'abc.012'],
    ['with a negative seq', 'abc.-1'],
    ['with an uppercase epoch', 'ABC.1'],
    ['with a third part', 'abc.1.2'],
    ['with spaces', ' abc.1'],
    ['with an epoch over 16 characters', `${'a'.repeat(17)}.1`],
    ['with a seq over 16 digits', `abc.${'1'.repeat(17)}`],
    ['with a seq past the safe integers', 'abc.9999999999999999'],
    ['overlong garbage', 'z'.repeat(10_000)],
    ['with non-ASCII', 'abcé.1'],
  ])('parses nothing from an id that is %s', (_what, id) => {
    expect(parseEventId(id)).toBeUndefined();
  });
});
