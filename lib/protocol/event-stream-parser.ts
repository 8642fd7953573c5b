/**
 * A parser of `text/event-stream`, as the WHATWG HTML Standard ("Server-sent
 * events", "Interpreting an event stream") defines it: pure, incremental,
 * with no dependency, for the client (browsers and Node) and the testing kit.
 *
 * It reads decoded text (decode the bytes as UTF-8 with a streaming
 * `TextDecoder`, which also drops a leading BOM; a leading U+FEFF left in the
 * text is dropped here too). Lines end with CRLF, LF or CR, also when a CRLF is
 * split between two chunks.
 */

/** One dispatched event: what a browser's `EventSource` hands to its listeners. */
export interface SseParsedEvent {
  /** The event type: the block's `event` field, or `'message'` when it has none (or an empty one). */
  readonly type: string;
  /** The `data` lines, joined with LF. */
  readonly data: string;
  /** The last event id after this block: the block's own `id`, else the one before it ('' at first). */
  readonly lastEventId: string;
  /** The block's own `id` field, when it has one (`undefined` otherwise). */
  readonly id?: string;
}

/** What the parser reports, in stream order. Every handler is optional. */
export interface SseParserHandlers {
  /** An event to dispatch: a block with at least one `data` line. */
  event?(event: SseParsedEvent): void;
  /** A comment line (`: text`), without the colon and the one space after it. */
  comment?(comment: string): void;
  /** A valid `retry` field (ASCII digits only): the new reconnection time, in milliseconds. */
  retry?(ms: number): void;
  /**
   * A block with an `id` field (without NUL) and no data ended: an id-only
   * block, which moves the last event id and dispatches nothing. (A block with
   * data reports its id in `event`.)
   */
  id?(lastEventId: string): void;
}

/** Limits that keep a hostile or broken server from making the parser buffer without end. */
export interface SseParserOptions {
  /**
   * The most characters held for one incomplete line plus the data of the
   * block being read. Past it, `feed()` throws an {@link SseParserOverflowError}
   * and the block is dropped. Default 16 MiB worth of characters (16,777,216).
   */
  maxBufferSize?: number;
  /** The last event id to start from (a reconnecting client's), default ''. */
  lastEventId?: string;
}

/** Thrown by `feed()` when a line or an event is longer than `maxBufferSize`. */
export class SseParserOverflowError extends Error {
  constructor(readonly maxBufferSize: number) {
    super(
      `The event stream sent a line or an event longer than ${maxBufferSize} characters (maxBufferSize); ` +
        'the block was dropped. Raise maxBufferSize if the server really sends events that large.',
    );
    this.name = 'SseParserOverflowError';
  }
}

/** An incremental event-stream parser: feed it text as it arrives. */
export interface SseParser {
  /** Parses the next piece of the stream. Handlers run synchronously, in order. */
  feed(text: string): void;
  /**
   * Forgets the block being read and any partial line, as a client does when a
   * connection ends (the spec discards a block that did not end). The last
   * event id is kept: it is what a reconnection sends.
   */
  reset(): void;
  /** The last event id so far. */
  readonly lastEventId: string;
}

const DEFAULT_MAX_BUFFER_SIZE = 16 * 1024 * 1024;
const DIGITS = /^[0-9]+$/;

/**
 * Creates a parser that reports to `handlers`.
 *
 * @example
 * const parser = createEventStreamParser({ event: (e) => console.log(e.type, e.data) });
 * const decoder = new TextDecoder();
 * for await (const bytes of response.body) parser.feed(decoder.decode(bytes, { stream: true }));
 */
export function createEventStreamParser(handlers: SseParserHandlers, options: SseParserOptions = {}): SseParser {
  const maxBufferSize = options.maxBufferSize ?? DEFAULT_MAX_BUFFER_SIZE;
  let lastEventId = options.lastEventId ?? '';
  let atStart = true;
  /** The incomplete line carried over from the previous chunk. */
  let pending = '';
  /** The previous chunk ended with CR: an LF at the start of this one belongs to it. */
  let afterCr = false;
  let data = '';
  let dataLines = 0;
  let type = '';
  let blockId: string | undefined;

  const clearBlock = () => {
    data = '';
    dataLines = 0;
    type = '';
    blockId = undefined;
  };

  const endBlock = () => {
    if (blockId !== undefined) lastEventId = blockId;
    if (dataLines > 0) {
      const event: SseParsedEvent =
        blockId === undefined
          ? { type: type || 'message', data, lastEventId }
          : { type: type || 'message', data, lastEventId, id: blockId };
      clearBlock();
      handlers.event?.(event);
    } else if (blockId !== undefined) {
      clearBlock();
      handlers.id?.(lastEventId);
    } else {
      clearBlock();
    }
  };

  const field = (name: string, value: string) => {
    switch (name) {
      case 'data':
        data = dataLines === 0 ? value : `${data}\n${value}`;
        dataLines++;
        break;
      case 'event':
        type = value;
        break;
      case 'id':
        if (!value.includes('\0')) blockId = value;
        break;
      case 'retry':
        if (DIGITS.test(value)) handlers.retry?.(Number.parseInt(value, 10));
        break;
      default:
        // Unknown fields are ignored, as the spec says.
        break;
    }
  };

  const line = (text: string) => {
    if (text === '') return endBlock();
    const colon = text.indexOf(':');
    if (colon === 0) {
      handlers.comment?.(text.charCodeAt(1) === 32 ? text.slice(2) : text.slice(1));
      return;
    }
    if (colon === -1) return field(text, '');
    field(text.slice(0, colon), text.charCodeAt(colon + 1) === 32 ? text.slice(colon + 2) : text.slice(colon + 1));
  };

  const overflow = () => {
    pending = '';
    clearBlock();
    throw new SseParserOverflowError(maxBufferSize);
  };

  const feed = (chunk: string) => {
    if (chunk === '') return;
    if (atStart) {
      atStart = false;
      if (chunk.charCodeAt(0) === 0xfeff) chunk = chunk.slice(1);
    }
    let start = 0;
    if (afterCr) {
      afterCr = false;
      if (chunk.charCodeAt(0) === 10) start = 1;
    }
    let text = chunk;
    if (pending !== '') {
      text = pending + chunk.slice(start);
      start = 0;
      pending = '';
    }
    const length = text.length;
    let index = start;
    while (index < length) {
      let end = index;
      let code = 0;
      while (end < length) {
        code = text.charCodeAt(end);
        if (code === 10 || code === 13) break;
        end++;
      }
      if (end === length) break;
      line(text.slice(index, end));
      if (code === 13) {
        if (end + 1 === length) {
          afterCr = true;
          index = length;
          break;
        }
        if (text.charCodeAt(end + 1) === 10) end++;
      }
      index = end + 1;
    }
    if (index < length) pending = text.slice(index);
    if (pending.length + data.length > maxBufferSize) overflow();
  };

  return {
    feed,
    reset: () => {
      pending = '';
      afterCr = false;
      atStart = true;
      clearBlock();
    },
    get lastEventId() {
      return lastEventId;
    },
  };
}
