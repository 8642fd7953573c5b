/**
 * A parser of `text/event-stream`, as the WHATWG HTML Standard ("Server-sent
 * events", "Interpreting an event stream") defines it: pure, incremental,
 * with no dependency, for the client (browsers and Node) and the testing kit.
 *
 * It reads decoded text: decode the bytes as UTF-8 with a streaming
 * `new TextDecoder('utf-8', { ignoreBOM: true })`, and the parser drops the
 * one leading BOM (U+FEFF) the spec drops (a default decoder drops one too: a
 * stream that starts with two would lose both). Lines end with CRLF, LF or CR,
 * also when a CRLF is split between two chunks. A long line that arrives in
 * many chunks costs time linear in its length: its pieces are kept apart and
 * joined once, when the line ends.
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
  readonly id: string | undefined;
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

/** `data:` at `at` (compared by char codes: `startsWith` is slower on this hot path). */
function isData(text: string, at: number): boolean {
  return (
    text.charCodeAt(at + 1) === 97 &&
    text.charCodeAt(at + 2) === 116 &&
    text.charCodeAt(at + 3) === 97 &&
    text.charCodeAt(at + 4) === 58
  );
}

/** `event:` at `at`. */
function isEvent(text: string, at: number): boolean {
  return (
    text.charCodeAt(at + 1) === 118 &&
    text.charCodeAt(at + 2) === 101 &&
    text.charCodeAt(at + 3) === 110 &&
    text.charCodeAt(at + 4) === 116 &&
    text.charCodeAt(at + 5) === 58
  );
}
const DIGITS = /^[0-9]+$/;

/**
 * Creates a parser that reports to `handlers`.
 *
 * @example
 * const parser = createEventStreamParser({ event: (e) => console.log(e.type, e.data) });
 * const decoder = new TextDecoder('utf-8', { ignoreBOM: true });
 * for await (const bytes of response.body) parser.feed(decoder.decode(bytes, { stream: true }));
 */
export function createEventStreamParser(handlers: SseParserHandlers, options: SseParserOptions = {}): SseParser {
  const maxBufferSize = options.maxBufferSize ?? DEFAULT_MAX_BUFFER_SIZE;
  let lastEventId = options.lastEventId ?? '';
  let atStart = true;
  /** The incomplete line carried over from the previous chunks, in pieces (joined once the line ends). */
  let pending: string[] = [];
  /** The characters in `pending`. */
  let pendingLength = 0;
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
      const event: SseParsedEvent = { type: type || 'message', data, lastEventId, id: blockId };
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

  /** One line, `text[start, end)`, without its line break. */
  const line = (text: string, start: number, end: number) => {
    if (start === end) return endBlock();
    const first = text.charCodeAt(start);
    // The usual lines first, without searching for the colon: `data:`, `event:`, `id:`, comments.
    if (first === 100 && isData(text, start)) {
      const value = text.slice(text.charCodeAt(start + 5) === 32 ? start + 6 : start + 5, end);
      data = dataLines === 0 ? value : `${data}\n${value}`;
      dataLines++;
      return;
    }
    if (first === 101 && isEvent(text, start)) {
      type = text.slice(text.charCodeAt(start + 6) === 32 ? start + 7 : start + 6, end);
      return;
    }
    if (first === 105 && text.charCodeAt(start + 1) === 100 && text.charCodeAt(start + 2) === 58) {
      const value = text.slice(text.charCodeAt(start + 3) === 32 ? start + 4 : start + 3, end);
      if (!value.includes('\0')) blockId = value;
      return;
    }
    if (first === 58) {
      handlers.comment?.(text.slice(text.charCodeAt(start + 1) === 32 ? start + 2 : start + 1, end));
      return;
    }
    // The rarer fields: the line on its own (a search in `text` could run past the line).
    const whole = text.slice(start, end);
    const colon = whole.indexOf(':');
    if (colon === -1) return field(whole, '');
    field(whole.slice(0, colon), whole.slice(whole.charCodeAt(colon + 1) === 32 ? colon + 2 : colon + 1));
  };

  const overflow = () => {
    pending = [];
    pendingLength = 0;
    clearBlock();
    throw new SseParserOverflowError(maxBufferSize);
  };

  const feed = (chunk: string) => {
    if (chunk === '') return;
    if (atStart) {
      atStart = false;
      if (chunk.charCodeAt(0) === 0xfeff) chunk = chunk.slice(1);
    }
    let index = 0;
    if (afterCr) {
      afterCr = false;
      if (chunk.charCodeAt(0) === 10) index = 1;
    }
    const length = chunk.length;
    let lf = chunk.indexOf('\n', index);
    let cr = chunk.indexOf('\r', index);
    if (pendingLength > 0) {
      // The line carried over: only this chunk is searched for its end, and its pieces are joined once.
      if (lf === -1 && cr === -1) {
        if (index < length) {
          pending.push(index === 0 ? chunk : chunk.slice(index));
          pendingLength += length - index;
        }
        if (pendingLength + data.length > maxBufferSize) overflow();
        return;
      }
      const atCr = cr !== -1 && (lf === -1 || cr < lf);
      const end = atCr ? cr : lf;
      pending.push(chunk.slice(index, end));
      const whole = pending.length === 1 ? pending[0] : pending.join('');
      pending = [];
      pendingLength = 0;
      line(whole, 0, whole.length);
      if (!atCr) {
        index = end + 1;
      } else if (end + 1 === length) {
        afterCr = true;
        return;
      } else {
        index = chunk.charCodeAt(end + 1) === 10 ? end + 2 : end + 1;
      }
      if (lf !== -1 && lf < index) lf = chunk.indexOf('\n', index);
      if (cr !== -1 && cr < index) cr = chunk.indexOf('\r', index);
    }
    while (lf !== -1 || cr !== -1) {
      // The next line break: an LF, a CR, or a CRLF (one break).
      const atCr = cr !== -1 && (lf === -1 || cr < lf);
      const end = atCr ? cr : lf;
      line(chunk, index, end);
      if (!atCr) {
        index = end + 1;
      } else if (end + 1 === length) {
        afterCr = true;
        index = length;
        break;
      } else {
        index = chunk.charCodeAt(end + 1) === 10 ? end + 2 : end + 1;
      }
      if (lf !== -1 && lf < index) lf = chunk.indexOf('\n', index);
      if (cr !== -1 && cr < index) cr = chunk.indexOf('\r', index);
    }
    if (index < length) {
      pending.push(chunk.slice(index));
      pendingLength = length - index;
    }
    if (pendingLength + data.length > maxBufferSize) overflow();
  };

  return {
    feed,
    reset: () => {
      pending = [];
      pendingLength = 0;
      afterCr = false;
      atStart = true;
      clearBlock();
    },
    get lastEventId() {
      return lastEventId;
    },
  };
}
