import { encodeEvent } from '../../lib/index.js';
import { fromMessageEvent, hasMessageEventShape } from '../../lib/protocol/message-event.js';

function counter(): () => string {
  let n = 0;
  return () => String(++n);
}

describe('hasMessageEventShape', () => {
  it.each([
    [{ data: 1 }, true],
    [{ data: 'x', type: 't', id: '1', retry: 5, comment: 'c' }, true],
    [Object.assign(Object.create(null), { data: 1 }), true],
    [{ type: 't' }, false],
    [{ data: 1, user: 'u' }, false],
    [[1], false],
    ['data', false],
    [null, false],
    [
      new (class Message {
        data = 1;
      })(),
      false,
    ],
  ])('%j is %s', (value, expected) => {
    expect(hasMessageEventShape(value)).toBe(expected);
  });
});

describe('fromMessageEvent', () => {
  it('maps type to event and numbers values without an id', () => {
    const next = counter();
    expect(fromMessageEvent({ type: 'tick', data: { n: 1 } }, next)).toEqual({
      event: 'tick',
      id: '1',
      data: { n: 1 },
    });
    expect(fromMessageEvent({ id: 'a', data: 'x' }, next)).toEqual({ id: 'a', data: 'x' });
    expect(fromMessageEvent('text', next)).toEqual({ id: '2', data: 'text' });
  });

  it('writes no data line for null or undefined data, and no event for an empty type', () => {
    const init = fromMessageEvent({ type: '', data: null, id: 7 }, counter());
    expect(init).toEqual({ id: 7 });
    expect(encodeEvent(init)).toBe('id: 7\n\n');
  });

  it('does not number a comment alone', () => {
    expect(fromMessageEvent({ comment: 'ping' }, counter())).toEqual({ comment: 'ping' });
  });

  it('keeps falsy values that are values', () => {
    expect(fromMessageEvent({ data: 0, id: 0, retry: 0 }, counter())).toEqual({ data: 0, id: 0, retry: 0 });
  });

  it('leaves refusing unframeable fields to the encoder', () => {
    const init = fromMessageEvent({ id: '1\nevent: x', data: 'd' }, counter());
    expect(() => encodeEvent(init)).toThrow(/contains CR, LF or NUL/);
  });
});
