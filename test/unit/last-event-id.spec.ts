import type { IncomingMessage } from 'node:http';
import { MAX_LAST_EVENT_ID_LENGTH, readLastEventId, sanitizeLastEventId } from '../../lib/protocol/last-event-id.js';

function request(url: string, headers: Record<string, string | string[]> = {}): IncomingMessage {
  return { url, headers } as unknown as IncomingMessage;
}

/** What Node hands an app for a header whose bytes are the UTF-8 of `text`: one latin1 character per byte. */
function asNodeDecodesIt(text: string): string {
  return Buffer.from(text, 'utf8').toString('latin1');
}

describe('sanitizeLastEventId', () => {
  it('keeps a printable id as it is', () => {
    expect(sanitizeLastEventId('42')).toBe('42');
    expect(sanitizeLastEventId('room:7/évent 😀')).toBe('room:7/évent 😀');
  });

  it('takes the first value of a repeated parameter', () => {
    expect(sanitizeLastEventId(['5', '6'])).toBe('5');
  });

  it.each([
    ['absent', undefined],
    ['empty', ''],
    ['not a string', 42],
    ['an object', { id: 1 }],
  ])('ignores an id that is %s', (_what, value) => {
    expect(sanitizeLastEventId(value)).toBeUndefined();
  });

  it(`keeps an id of ${MAX_LAST_EVENT_ID_LENGTH} characters and ignores a longer one`, () => {
    expect(MAX_LAST_EVENT_ID_LENGTH).toBe(256);
    expect(sanitizeLastEventId('a'.repeat(256))).toBe('a'.repeat(256));
    expect(sanitizeLastEventId('a'.repeat(257))).toBeUndefined();
  });

  it.each([
    ['LF', 'a\nb'],
    ['CR', 'a\rb'],
    ['NUL', 'a\0b'],
    ['TAB', 'a\tb'],
    ['ESC', 'a\u001bb'],
    ['DEL', 'a\u007fb'],
  ])('ignores an id containing the control character %s', (_what, value) => {
    expect(sanitizeLastEventId(value)).toBeUndefined();
  });
});

describe('readLastEventId', () => {
  it('reads the Last-Event-ID header', () => {
    expect(readLastEventId(request('/events', { 'last-event-id': '17' }))).toBe('17');
  });

  it('falls back to the lastEventId query parameter (for polyfills) when there is no header', () => {
    expect(readLastEventId(request('/events?x=1&lastEventId=abc%20def'))).toBe('abc def');
  });

  it('prefers the header over the query parameter', () => {
    expect(readLastEventId(request('/events?lastEventId=query', { 'last-event-id': 'header' }))).toBe('header');
  });

  it('gives undefined when the request carries neither', () => {
    expect(readLastEventId(request('/events'))).toBeUndefined();
    expect(readLastEventId(request('/events?lastEventIdX'))).toBeUndefined();
  });

  it('ignores an overlong header or query value', () => {
    expect(readLastEventId(request('/events', { 'last-event-id': 'x'.repeat(257) }))).toBeUndefined();
    expect(readLastEventId(request(`/events?lastEventId=${'x'.repeat(257)}`))).toBeUndefined();
  });

  it('ignores a header or query value with control characters', () => {
    expect(readLastEventId(request('/events', { 'last-event-id': 'a\u0001b' }))).toBeUndefined();
    expect(readLastEventId(request('/events?lastEventId=a%0Ab'))).toBeUndefined();
    expect(readLastEventId(request('/events?lastEventId=a%00b'))).toBeUndefined();
  });

  it('re-decodes a UTF-8 header that Node decoded as latin1', () => {
    const sent = 'évènement-日本-😀';
    expect(readLastEventId(request('/events', { 'last-event-id': asNodeDecodesIt(sent) }))).toBe(sent);
  });

  it('keeps a header that is genuine latin1 rather than UTF-8', () => {
    // "é" sent as the single byte 0xE9 is not valid UTF-8: it stays as Node decoded it.
    expect(readLastEventId(request('/events', { 'last-event-id': 'caf\u00e9' }))).toBe('caf\u00e9');
  });

  it('measures the length after re-decoding', () => {
    // 100 emoji: 400 bytes on the wire, 200 UTF-16 code units once decoded.
    const id = '😀'.repeat(100);
    expect(readLastEventId(request('/events', { 'last-event-id': asNodeDecodesIt(id) }))).toBe(id);
  });

  it('decodes a UTF-8 query value', () => {
    expect(readLastEventId(request(`/events?lastEventId=${encodeURIComponent('ïd-😀')}`))).toBe('ïd-😀');
  });
});
