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
  ])('refuses a payload that is no class, String, Number, Boolean or long form (%p)', (payload, shown) => {
    expect(() => decorate({ events: { tick: payload as never } })).toThrow(
      `${where}: event "tick" must map to a DTO class (JSON data), String (text written as is), Number, Boolean, or { type?, isArray?, schema?, description? }, got ${shown}.`,
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

  it('must decorate a method', () => {
    expect(() => ApiEventStream({ events: { tick: TickDto } })({}, 'x', { value: 1 } as never)).toThrow(
      '@ApiEventStream() on Object.x must decorate a method',
    );
  });
});
