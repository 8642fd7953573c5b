import { jsonSerializer, type SseStreamOptions } from '../../lib/index.js';
import {
  DEFAULT_STREAM_OPTIONS,
  pickStreamOptions,
  resolveStreamOptions,
  validateStreamOptions,
} from '../../lib/options/resolve-stream-options.js';

describe('resolveStreamOptions', () => {
  it('gives the documented defaults when nothing is set', () => {
    expect(resolveStreamOptions()).toEqual({
      heartbeatMs: 15_000,
      retryMs: 3_000,
      maxBufferedBytes: 1024 * 1024,
      serializer: jsonSerializer,
      errorEventName: 'stream-error',
      onFrameError: 'skip',
    });
    expect(resolveStreamOptions({})).toEqual(DEFAULT_STREAM_OPTIONS);
  });

  it('keeps the defaults frozen, so that no app can change them for another', () => {
    expect(Object.isFrozen(DEFAULT_STREAM_OPTIONS)).toBe(true);
    const resolved = resolveStreamOptions({ retryMs: 1 });
    expect(resolved).not.toBe(DEFAULT_STREAM_OPTIONS);
    expect(DEFAULT_STREAM_OPTIONS.retryMs).toBe(3_000);
  });

  it('layers option sets over the defaults, later ones winning', () => {
    const serializer = (value: unknown) => String(value);
    const resolved = resolveStreamOptions(
      { heartbeatMs: 1000, retryMs: 10, serializer },
      { retryMs: 20, onFrameError: 'end', errorEventName: 'oops' },
    );
    expect(resolved).toEqual({
      heartbeatMs: 1000,
      retryMs: 20,
      maxBufferedBytes: 1024 * 1024,
      serializer,
      errorEventName: 'oops',
      onFrameError: 'end',
    });
  });

  it('never lets an undefined value hide a default or an earlier layer', () => {
    const resolved = resolveStreamOptions({ retryMs: 10 }, { retryMs: undefined, heartbeatMs: undefined });
    expect(resolved.retryMs).toBe(10);
    expect(resolved.heartbeatMs).toBe(15_000);
  });

  it('accepts 0 for heartbeatMs (off) and retryMs', () => {
    expect(resolveStreamOptions({ heartbeatMs: 0, retryMs: 0 })).toMatchObject({ heartbeatMs: 0, retryMs: 0 });
  });

  it('ignores keys that are not stream options', () => {
    const picked = pickStreamOptions({ retryMs: 5, isGlobal: true, method: 'POST' } as SseStreamOptions);
    expect(picked).toEqual({ retryMs: 5 });
  });

  it.each<[string, SseStreamOptions, string]>([
    [
      'heartbeatMs',
      { heartbeatMs: -1 },
      'nestjs-event-stream: option "heartbeatMs" must be an integer >= 0, got number -1.',
    ],
    [
      'heartbeatMs',
      { heartbeatMs: 1.5 },
      'nestjs-event-stream: option "heartbeatMs" must be an integer >= 0, got number 1.5.',
    ],
    [
      'heartbeatMs',
      { heartbeatMs: '10' as never },
      'nestjs-event-stream: option "heartbeatMs" must be an integer >= 0, got "10".',
    ],
    ['retryMs', { retryMs: 1.5 }, 'nestjs-event-stream: option "retryMs" must be an integer >= 0, got number 1.5.'],
    [
      'retryMs',
      { retryMs: Number.NaN },
      'nestjs-event-stream: option "retryMs" must be an integer >= 0, got number NaN.',
    ],
    [
      'maxBufferedBytes',
      { maxBufferedBytes: 0 },
      'nestjs-event-stream: option "maxBufferedBytes" must be an integer >= 1, got number 0.',
    ],
    [
      'serializer',
      { serializer: 'x' as never },
      'nestjs-event-stream: option "serializer" must be a function, got "x".',
    ],
    [
      'onFrameError',
      { onFrameError: 'x' as never },
      `nestjs-event-stream: option "onFrameError" must be 'skip' or 'end', got "x".`,
    ],
  ])('refuses a bad %s with a message naming it and the value', (_name, options, message) => {
    expect(() => resolveStreamOptions(options)).toThrow(message);
  });

  it.each(['a\nb', '', 'open', 'error', 'a\0b'])('refuses the errorEventName %p, naming the option', (name) => {
    expect(() => resolveStreamOptions({ errorEventName: name })).toThrow(
      /^nestjs-event-stream: option "errorEventName" must be a valid SSE event name, got .*\. SSE event name/,
    );
  });

  it('prefixes the option name with where it was set', () => {
    expect(() => validateStreamOptions({ retryMs: -5 }, '@EventStream() on Feed.events: ')).toThrow(
      'nestjs-event-stream: option "@EventStream() on Feed.events: retryMs" must be an integer >= 0, got number -5.',
    );
  });
});
