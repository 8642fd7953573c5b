import { jsonSerializer, type SseStreamOptions } from '../../lib/index.js';
import {
  DEFAULT_STREAM_OPTIONS,
  pickStreamOptions,
  resolveStreamOptions,
  validateStreamOptions,
} from '../../lib/options/resolve-stream-options.js';
import { resolveModuleOptions } from '../../lib/options/resolve-module-options.js';

describe('resolveStreamOptions', () => {
  it('gives the documented defaults when nothing is set', () => {
    expect(resolveStreamOptions()).toStrictEqual({
      heartbeatMs: 15_000,
      retryMs: 3_000,
      retryJitter: 0.2,
      maxLifetimeMs: 0,
      maxLifetimeJitter: 0.1,
      endEventName: 'sse-end',
      maxBufferedBytes: 1024 * 1024,
      serializer: jsonSerializer,
      errorEventName: undefined,
      onFrameError: 'skip',
      messageEvents: undefined,
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
    expect(resolved).toStrictEqual({
      heartbeatMs: 1000,
      retryMs: 20,
      retryJitter: 0.2,
      maxLifetimeMs: 0,
      maxLifetimeJitter: 0.1,
      endEventName: 'sse-end',
      maxBufferedBytes: 1024 * 1024,
      serializer,
      errorEventName: 'oops',
      onFrameError: 'end',
      messageEvents: undefined,
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

  it('accepts the bounds of retryJitter, maxLifetimeJitter and maxLifetimeMs', () => {
    expect(resolveStreamOptions({ retryJitter: 0, maxLifetimeJitter: 0.5, maxLifetimeMs: 2 ** 31 - 1 })).toMatchObject({
      retryJitter: 0,
      maxLifetimeJitter: 0.5,
      maxLifetimeMs: 2 ** 31 - 1,
    });
    expect(resolveStreamOptions({ retryJitter: 1, maxLifetimeJitter: 0, maxLifetimeMs: 0 })).toMatchObject({
      retryJitter: 1,
      maxLifetimeJitter: 0,
      maxLifetimeMs: 0,
    });
  });

  it('accepts endEventName false (no final word) and keeps it over the default', () => {
    expect(resolveStreamOptions({ endEventName: false }).endEventName).toBe(false);
    expect(resolveStreamOptions({ endEventName: 'bye' }, { endEventName: false }).endEventName).toBe(false);
    expect(resolveStreamOptions({ endEventName: 'bye' }).endEventName).toBe('bye');
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
    [
      'retryMs',
      { retryMs: 2 ** 31 },
      'nestjs-event-stream: option "retryMs" must be an integer from 0 to 2147483647, got number 2147483648.',
    ],
    [
      'retryMs',
      { retryMs: 1.5 },
      'nestjs-event-stream: option "retryMs" must be an integer from 0 to 2147483647, got number 1.5.',
    ],
    [
      'retryMs',
      { retryMs: Number.NaN },
      'nestjs-event-stream: option "retryMs" must be an integer from 0 to 2147483647, got number NaN.',
    ],
    [
      'retryJitter',
      { retryJitter: -0.1 },
      'nestjs-event-stream: option "retryJitter" must be a number from 0 to 1, got number -0.1.',
    ],
    [
      'retryJitter',
      { retryJitter: 1.5 },
      'nestjs-event-stream: option "retryJitter" must be a number from 0 to 1, got number 1.5.',
    ],
    [
      'retryJitter',
      { retryJitter: Number.NaN },
      'nestjs-event-stream: option "retryJitter" must be a number from 0 to 1, got number NaN.',
    ],
    [
      'maxLifetimeJitter',
      { maxLifetimeJitter: -1 },
      'nestjs-event-stream: option "maxLifetimeJitter" must be a number from 0 to 0.5, got number -1.',
    ],
    [
      'maxLifetimeJitter',
      { maxLifetimeJitter: 0.6 },
      'nestjs-event-stream: option "maxLifetimeJitter" must be a number from 0 to 0.5, got number 0.6.',
    ],
    [
      'maxLifetimeJitter',
      { maxLifetimeJitter: Number.NaN },
      'nestjs-event-stream: option "maxLifetimeJitter" must be a number from 0 to 0.5, got number NaN.',
    ],
    [
      'maxLifetimeMs',
      { maxLifetimeMs: -1 },
      'nestjs-event-stream: option "maxLifetimeMs" must be an integer from 0 to 2147483647, got number -1.',
    ],
    [
      'maxLifetimeMs',
      { maxLifetimeMs: 1.5 },
      'nestjs-event-stream: option "maxLifetimeMs" must be an integer from 0 to 2147483647, got number 1.5.',
    ],
    [
      'maxLifetimeMs',
      { maxLifetimeMs: 2 ** 31 },
      'nestjs-event-stream: option "maxLifetimeMs" must be an integer from 0 to 2147483647, got number 2147483648.',
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

  it.each(['a\nb', '', 'open', 'error', 'a\0b'])('refuses the endEventName %p, naming the option', (name) => {
    expect(() => resolveStreamOptions({ endEventName: name })).toThrow(
      /^nestjs-event-stream: option "endEventName" must be a valid SSE event name, got .*\. SSE event name/,
    );
  });

  it.each([true, 0, null])('refuses the endEventName %p, which is neither a name nor false', (value) => {
    expect(() => resolveStreamOptions({ endEventName: value as never })).toThrow(/option "endEventName"/);
  });

  it('prefixes the option name with where it was set', () => {
    expect(() => validateStreamOptions({ retryMs: -5 }, '@EventStream() on Feed.events: ')).toThrow(
      'nestjs-event-stream: option "@EventStream() on Feed.events: retryMs" must be an integer from 0 to 2147483647, got number -5.',
    );
  });
});

describe('resolveModuleOptions, for the lifecycle options', () => {
  it('gives the stream defaults module-wide and validates the new options there too', () => {
    expect(resolveModuleOptions()).toMatchObject({
      retryJitter: 0.2,
      maxLifetimeMs: 0,
      maxLifetimeJitter: 0.1,
      endEventName: 'sse-end',
      errorEventName: undefined,
    });
    expect(() => resolveModuleOptions({ retryJitter: 2 })).toThrow('option "retryJitter" must be a number from 0 to 1');
    expect(() => resolveModuleOptions({ endEventName: 'open' })).toThrow('option "endEventName"');
    expect(resolveModuleOptions({ endEventName: false }).endEventName).toBe(false);
  });

  it('reads the session id from request.user.sid, else request.user.sessionId, by default', () => {
    const { sessionIdOf } = resolveModuleOptions();
    expect(sessionIdOf({ user: { sid: 's1', sessionId: 's2' } } as never)).toBe('s1');
    expect(sessionIdOf({ user: { sessionId: 7 } } as never)).toBe(7);
    expect(sessionIdOf({ user: { sid: { nested: true } } } as never)).toBeUndefined();
    expect(sessionIdOf({} as never)).toBeUndefined();
  });

  it('takes a sessionIdOf function, and refuses anything else', () => {
    const sessionIdOf = () => 'x';
    expect(resolveModuleOptions({ sessionIdOf }).sessionIdOf).toBe(sessionIdOf);
    expect(() => resolveModuleOptions({ sessionIdOf: 'sid' as never })).toThrow(
      'nestjs-event-stream: option "sessionIdOf" must be a function (request) => session id, got "sid".',
    );
  });
});
