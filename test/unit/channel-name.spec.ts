import { BadRequestException } from '@nestjs/common';
import { assertChannelName, isChannelName, MAX_CHANNEL_NAME_LENGTH, SseChannelNameError } from '../../lib/index.js';

describe('channel names', () => {
  it.each([
    ['a single letter', 'a'],
    ['letters, digits and every allowed sign', 'Room-1_b.c:d/e@f'],
    ['a user channel', 'user:42'],
    ['an email-like name', 'inbox@example.com'],
    ['a path-like name', 'org/7/project/9'],
    [`${MAX_CHANNEL_NAME_LENGTH} characters`, 'x'.repeat(200)],
  ])('accepts %s', (_what, name) => {
    expect(isChannelName(name)).toBe(true);
    expect(() => assertChannelName(name)).not.toThrow();
  });

  it.each([
    ['the empty string', ''],
    [`${MAX_CHANNEL_NAME_LENGTH + 1} characters`, 'x'.repeat(201)],
    ['a space', 'room 1'],
    ['a line break', 'room\nevent: forged'],
    ['a NUL', 'room\0'],
    ['a comma', 'a,b'],
    ['a non-ASCII letter', 'café'],
    ['an emoji', 'room😀'],
    ['a wildcard', 'room:*'],
  ])('refuses %s with a message naming the value and the rule', (_what, name) => {
    expect(isChannelName(name)).toBe(false);
    let error: unknown;
    try {
      assertChannelName(name);
    } catch (caught) {
      error = caught;
    }
    expect(error).toBeInstanceOf(SseChannelNameError);
    expect((error as SseChannelNameError).channel).toBe(name);
    expect((error as Error).message).toContain('Invalid SSE channel name');
    expect((error as Error).message).toContain('1 to 200 letters, digits or -_.:/@');
  });

  it.each([
    ['undefined', undefined, '(undefined)'],
    ['null', null, '(null)'],
    ['a number', 42, '(number)'],
    ['an array', ['a'], '(object)'],
  ])('refuses %s, naming its type', (_what, value, shown) => {
    expect(isChannelName(value)).toBe(false);
    expect(() => assertChannelName(value)).toThrow(`Invalid SSE channel name ${shown}`);
  });

  it('shortens an overlong name in the message', () => {
    expect(() => assertChannelName('y'.repeat(5000))).toThrow(`"${'y'.repeat(64)}..."`);
  });

  it('is a BadRequestException, so a name taken from the request answers 400', () => {
    const error = new SseChannelNameError('bad name');
    expect(error).toBeInstanceOf(BadRequestException);
    expect(error.getStatus()).toBe(400);
  });
});
