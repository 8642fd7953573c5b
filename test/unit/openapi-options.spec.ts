import { ApiEventStream, type ApiEventStreamOptions } from 'nestjs-event-stream/openapi';

class TickDto {}

/** Decorates `Feed.events` with `options`, as a class definition would. */
function decorate(options: ApiEventStreamOptions): void {
  class Feed {
    events(): void {}
  }
  const descriptor = Object.getOwnPropertyDescriptor(Feed.prototype, 'events')!;
  ApiEventStream(options)(Feed.prototype, 'events', descriptor);
}

const where = '@ApiEventStream() on Feed.events';

describe('@ApiEventStream() options', () => {
  it('takes DTO classes, String, Number, Boolean and the long form', () => {
    expect(() =>
      decorate({
        events: {
          tick: TickDto,
          note: String,
          count: Number,
          flag: Boolean,
          batch: { type: TickDto, isArray: true, description: 'Several ticks.' },
          raw: { schema: { type: 'object' } },
        },
        endEvent: 'bye',
        resetEvent: true,
        refusals: [204, 401, 403, 429, 503],
        summary: 'Ticks',
        description: 'Every tick.',
      }),
    ).not.toThrow();
  });

  it.each([
    [undefined, 'undefined'],
    [{}, '{}'],
    [[TickDto], '["function TickDto"]'],
  ])('refuses events that name no event (%p)', (events, shown) => {
    expect(() => decorate({ events } as unknown as ApiEventStreamOptions)).toThrow(
      `${where}: option "events" must be an object naming at least one event, e.g. { tick: TickDto }, got ${shown}.`,
    );
  });

  it('refuses a missing options object', () => {
    expect(() => decorate(undefined as unknown as ApiEventStreamOptions)).toThrow(`${where} needs an options object`);
  });

  it.each([
    ['', 'non-empty'],
    ['a\nb', 'contains CR, LF or NUL'],
    ['a\rb', 'contains CR, LF or NUL'],
    ['error', 'on' + 'error handler'],
  ])('refuses an event name the library cannot send (%j)', (name, why) => {
    expect(() => decorate({ events: { [name]: TickDto } })).toThrow(
      new RegExp(`^${where.replace(/[()]/g, '\\$&')}: event name .* in "events" cannot be sent: .*${why}`),
    );
  });

  it('refuses the name of the final word while it is documented, and takes it with endEvent: false', () => {
    expect(() => decorate({ events: { 'sse-end': TickDto } })).toThrow(
      `${where}: event name "sse-end" in "events" is the name of the library's own final word, which "endEvent" documents already.`,
    );
    expect(() => decorate({ events: { bye: TickDto }, endEvent: 'bye' })).toThrow('"bye"');
    expect(() => decorate({ events: { 'sse-end': TickDto }, endEvent: false })).not.toThrow();
  });

  it('refuses the name of the reset event while it is documented', () => {
    expect(() => decorate({ events: { 'sse-reset': TickDto } })).not.toThrow();
    expect(() => decorate({ events: { 'sse-reset': TickDto }, resetEvent: true })).toThrow(
      `${where}: event name "sse-reset" in "events" is the name of the library's own reset event, which "resetEvent" documents already.`,
    );
  });

  it.each([
    [{ endEvent: 'a\nb' }, 'endEvent', '"a\\nb": SSE event name'],
    [{ endEvent: 1 }, 'endEvent', '1.'],
    [{ resetEvent: '' }, 'resetEvent', '"": SSE event name must be a non-empty string'],
  ])('refuses a bad %p', (options, option, shown) => {
    expect(() => decorate({ events: { tick: TickDto }, ...(options as object) })).toThrow(
      `${where}: option "${option}" must be true, false, or the event's name (a valid SSE event name), got ${shown}`,
    );
  });

  it.each([
    [null, 'null'],
    ['tick', '"tick"'],
    [{ isArray: 'yes' }, '{"isArray":"yes"}'],
    [{ schema: 'object' }, '{"schema":"object"}'],
    [{}, '{}'],
    [{ type: 'string' }, '{"type":"string"}'],
  ])('refuses a payload that is no class, String, Number, Boolean or long form (%p)', (payload, shown) => {
    expect(() => decorate({ events: { tick: payload as never } })).toThrow(
      `${where}: event "tick" must map to a DTO class (JSON data), String (text written as is), Number, Boolean, or { type?, isArray?, schema?, encoding?, description? }, got ${shown}.`,
    );
  });

  it('refuses a payload with both a type and a schema', () => {
    expect(() => decorate({ events: { tick: { type: TickDto, schema: {} } } })).toThrow(
      `${where}: event "tick" gives both "type" and "schema"; give one`,
    );
  });

  it.each([[[200]], [[401, 418]], ['401']])('refuses refusals outside 204, 401, 403, 429, 503 (%p)', (refusals) => {
    expect(() => decorate({ events: { tick: TickDto }, refusals: refusals as never })).toThrow(
      `${where}: option "refusals" must be an array of the statuses 204, 401, 403, 429, 503, got`,
    );
  });

  it('refuses a summary or description that is not a string', () => {
    expect(() => decorate({ events: { tick: TickDto }, summary: 1 as never })).toThrow(
      `${where}: option "summary" must be a string, got 1.`,
    );
  });

  it('takes lazy types (() => Dto) in the short and long form, and a lazy type returning String, Number or Boolean', () => {
    expect(() =>
      decorate({
        events: { a: () => TickDto, b: { type: () => TickDto, isArray: true }, c: () => String, d: () => Number },
      }),
    ).not.toThrow();
  });

  it.each([
    [Date, 'Date'],
    [Object, 'Object'],
    [Array, 'Array'],
    [Map, 'Map'],
  ])('refuses the built-in %p, which has no schema, saying what to give instead', (builtIn, name) => {
    const expected = `${where}: event "t" maps to the built-in ${name}, which has no schema of its own: of the built-ins only String (text), Number and Boolean (JSON) are payloads. Give a DTO class, or a schema, e.g. { schema: { type: 'string', format: 'date-time' } }`;
    expect(() => decorate({ events: { t: builtIn as never } })).toThrow(expected);
    expect(() => decorate({ events: { t: { type: builtIn as never } } })).toThrow(expected);
    expect(() => decorate({ events: { t: () => builtIn as never } })).toThrow(expected);
  });

  it('refuses a function that is no class and returns no type', () => {
    expect(() => decorate({ events: { t: (() => 1) as never } })).toThrow(
      `${where}: event "t" maps to a function that is not a class, read as a lazy type (type: () => Dto); it must return a DTO class, String, Number or Boolean, got 1.`,
    );
    expect(() => decorate({ events: { t: { type: (() => () => TickDto) as never } } })).toThrow(
      `${where}: event "t" maps to a function that is not a class, read as a lazy type`,
    );
    expect(() =>
      decorate({
        events: {
          t: (() => {
            throw new TypeError('boom');
          }) as never,
        },
      }),
    ).toThrow(`${where}: the lazy type (type: () => Dto) of event "t" threw: boom`);
  });

  it.each([
    [{ endEvent: 'x', resetEvent: 'x' }, 'x'],
    [{ resetEvent: 'sse-end' }, 'sse-end'],
    [{ endEvent: 'sse-reset', resetEvent: true }, 'sse-reset'],
  ])('refuses endEvent and resetEvent of the same name (%p)', (options, name) => {
    expect(() => decorate({ events: { tick: TickDto }, ...options })).toThrow(
      `${where}: options "endEvent" and "resetEvent" both document the event "${name}"; the final word and the reset event are two events with two names`,
    );
  });

  it('takes a reset event named sse-end when there is no final word', () => {
    expect(() => decorate({ events: { tick: TickDto }, endEvent: false, resetEvent: 'sse-end' })).not.toThrow();
    expect(() => decorate({ events: { x: TickDto }, endEvent: 'y', resetEvent: 'x' })).toThrow(
      'event name "x" in "events" is the name of the library\'s own reset event',
    );
  });

  it('refuses unknown options, listing the known ones', () => {
    expect(() => decorate({ events: { tick: TickDto }, resetEvents: true } as never)).toThrow(
      `${where}: unknown option "resetEvents"; the options are events, summary, description, endEvent, resetEvent, lastEventId, refusals.`,
    );
    expect(() => decorate({ events: { tick: { type: TickDto, array: true } as never } })).toThrow(
      `${where}: event "tick" has unknown key "array"; the long form of a payload takes type, isArray, schema, encoding, description.`,
    );
  });

  it('refuses a lastEventId that is not a boolean', () => {
    expect(() => decorate({ events: { tick: TickDto }, lastEventId: 'yes' as never })).toThrow(
      `${where}: option "lastEventId" must be true or false (default: true when "resetEvent" is documented), got "yes".`,
    );
  });

  it.each([
    [{ schema: { type: 'string' }, isArray: true, encoding: 'text' }, '"text"'],
    [{ schema: { type: 'object' }, encoding: 'text' }, '"text"'],
    [{ schema: {}, encoding: 'xml' }, '"xml"'],
  ])('refuses an encoding that cannot be (%p)', (payload, shown) => {
    expect(() => decorate({ events: { t: payload as never } })).toThrow(
      `${where}: event "t" has "encoding" ${shown}; it must be 'json' (data through the serializer) or 'text'`,
    );
  });

  it('refuses an encoding beside a type, which says the encoding already', () => {
    expect(() => decorate({ events: { t: { type: TickDto, encoding: 'json' } } })).toThrow(
      `${where}: event "t" gives "encoding" with "type"`,
    );
  });

  it('must decorate a method', () => {
    expect(() => ApiEventStream({ events: { tick: TickDto } })({}, 'x', { value: 1 } as never)).toThrow(
      '@ApiEventStream() on Object.x must decorate a method',
    );
  });
});
